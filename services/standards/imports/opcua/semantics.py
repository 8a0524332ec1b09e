"""What companion specifications mean by some browse names: KPI roles, and what describes a machine.

Roles are found by the end of an item's browse path (array indices left out), first rule first, so an
item matched by an earlier rule keeps the role when several match (a version holds one item per role).
"""

from __future__ import annotations

from services.standards.roles import ItemRole

ROLE_RULES: tuple[tuple[ItemRole, tuple[str, ...]], ...] = (
    # OPC 40001-1 Machinery: Executing / NotExecuting / NotAvailable / OutOfService.
    ("execution_state", ("MachineryItemState", "CurrentState")),
    # OPC 30050 PackML: the machine state machine (Execute, Held, Aborted, Stopped...).
    ("execution_state", ("MachineState", "CurrentState")),
    # OPC 40501-1 MachineTool: the active program (Running, Interrupted, Aborted, Ended).
    ("execution_state", ("ActiveProgram", "State", "CurrentState")),
    ("part_count", ("PartsProducedInLifetime",)),  # MachineTool statistics and operation counters
    ("part_count", ("ProdProcessedCount", "AccCount")),  # PackML admin counts
    ("good_count", ("PartsGood",)),  # MachineTool production job
    ("reject_count", ("ProdDefectiveCount", "AccCount")),  # PackML admin counts
)

# Properties that describe the machine itself (OPC 10000-100 DI nameplate, OPC 40001-1 Machinery
# identification): kept as model attributes wherever they sit, never as readings.
DESCRIBING = frozenset({
    "Manufacturer", "ManufacturerUri", "Model", "ProductCode", "HardwareRevision", "SoftwareRevision",
    "DeviceRevision", "DeviceManual", "DeviceClass", "SerialNumber", "ProductInstanceUri", "AssetId",
    "ComponentName", "YearOfConstruction", "MonthOfConstruction", "InitialOperationDate", "Location",
    "ArticleNumber", "CatalogueName", "DeviceDescriptionUri", "ManufacturerProductDesignation",
    "SoftwareReleaseDate", "PatchIdentifiers", "ProductionDate",
})  # fmt: skip
# Properties about the OPC UA node, not the machine.
NODE_BOOKKEEPING = frozenset({"NodeVersion", "DefaultInstanceBrowseName", "Icon", "NamingRule"})
# Properties of a variable read into its item (unit, range, states), or that only describe its value.
VARIABLE_METADATA = frozenset({
    "EngineeringUnits", "EURange", "InstrumentRange", "EnumStrings", "EnumValues", "TrueState", "FalseState",
    "ValuePrecision", "ValueAsText", "Definition",
})  # fmt: skip


def role_of(path: tuple[str, ...]) -> tuple[int, ItemRole] | None:
    """The first rule matching the end of ``path`` (array indices dropped): its rank and role."""
    bare = tuple(part.partition("[")[0] for part in path)
    for rank, (role, suffix) in enumerate(ROLE_RULES):
        if bare[-len(suffix) :] == suffix:
            return rank, role
    return None
