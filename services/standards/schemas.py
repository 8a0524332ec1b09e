"""Request and response bodies of the standards service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    computed_field,
    field_validator,
    model_validator,
)

from services.kit.bodies import InputModel, PatchModel
from services.kit.fields import IndustryCode, IsoDateTime, SubFieldCode
from services.kit.i18n import LocalizedText
from services.kit.messages import Msg
from services.kit.reference import INDUSTRY_BY_CODE, SUBFIELD_BY_CODE
from services.kit.units import UnitError, canonical_symbol
from services.kit.validation_messages import invalid
from services.standards.roles import REPEATABLE_ROLES, ItemRole, role_problem

Category = Literal["SAMPLE", "EVENT", "CONDITION"]
DataType = Literal["float", "int", "bool", "string"]
Status = Literal["draft", "proposed", "changes_requested", "published", "deprecated"]
PUBLIC_STATUSES = ("published", "deprecated")
EDITABLE_STATUSES = ("draft", "changes_requested")
SEMVER = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$"

_ITEM_EXAMPLE: dict[str, Any] = {
    "id": "spindle_speed",
    "name": {"ko": "주축 회전수", "en": "Spindle speed"},
    "category": "SAMPLE",
    "data_type": "float",
    "unit": "rpm",
    "min": 0,
    "max": 6000,
    "semantic_id": "0173-1#02-BAA120#008",
    "mappings": {"mtconnect_type": "ROTARY_VELOCITY", "opcua_browse_name": "SpindleSpeed"},
    "source": "MTConnect DataItem ROTARY_VELOCITY (Part 3); OPC UA Machine Tools",
}


def _ideal_cycle_time(description: str) -> Any:
    return Field(default=None, gt=0, le=86400, description=description)


_IDEAL = "ideal (design) cycle time of one part in s, the reference of OEE performance"


class Mappings(InputModel):
    opcua_node_id: str | None = Field(default=None, max_length=200)
    opcua_browse_name: str | None = Field(
        default=None, max_length=200, description="browse path below the machine: Monitoring/Spindle/Override"
    )
    # A browse name is qualified by its namespace, whose index differs per server: the URIs are kept.
    opcua_browse_namespaces: str | None = Field(
        default=None,
        max_length=4000,
        pattern=r"^\S+( \S+)*$",
        description="namespace URI of each browse name of opcua_browse_name, separated by spaces",
    )
    # An enumeration travels as an integer; the item holds its names (allowed_values), this their integers.
    opcua_enum_values: str | None = Field(
        default=None,
        max_length=2000,
        pattern=r"^-?\d+( -?\d+)*$",
        description="the integer of each allowed value, in their order: the gateway sends the name",
    )
    # Part of the node's value the item reads: an element of an array (OPC UA IndexRange, "2" or "0,1")
    # and/or a field of a structure (PackML's ProdProcessedCount[0].AccCount).
    opcua_index_range: str | None = Field(default=None, max_length=32, pattern=r"^\d+(,\d+)*$")
    opcua_field: str | None = Field(default=None, max_length=100)
    mtconnect_type: str | None = Field(default=None, max_length=100)
    mtconnect_sub_type: str | None = Field(default=None, max_length=100)
    # Which DataItem of which device feeds the item: the gateway binds by this id, never by type.
    mtconnect_data_item_id: str | None = Field(default=None, max_length=200)
    mtconnect_name: str | None = Field(default=None, max_length=200)
    mtconnect_device: str | None = Field(default=None, max_length=200)
    mtconnect_component: str | None = Field(
        default=None, max_length=500, description="component path below the device, e.g. Axes/Linear[X]"
    )
    mtconnect_units: str | None = Field(default=None, max_length=100)
    mtconnect_native_units: str | None = Field(default=None, max_length=100)
    mtconnect_statistic: str | None = Field(default=None, max_length=100)
    mtconnect_coordinate_system: str | None = Field(default=None, max_length=100)
    mtconnect_composition_id: str | None = Field(default=None, max_length=200)
    mtconnect_vector_index: int | None = Field(
        default=None, ge=0, le=2, description="a 3D DataItem (units ..._3D): 0 x, 1 y, 2 z of its value"
    )

    @model_validator(mode="after")
    def _one_namespace_per_name(self) -> Mappings:
        if self.opcua_browse_namespaces is not None and (
            self.opcua_browse_name is None
            or len(self.opcua_browse_namespaces.split()) != len(self.opcua_browse_name.split("/"))
        ):
            raise invalid(Msg("opcua_browse_namespaces needs one namespace per name of opcua_browse_name"))
        return self


class DataItem(InputModel):
    model_config = ConfigDict(
        extra="forbid", allow_inf_nan=False, json_schema_extra={"examples": [_ITEM_EXAMPLE]}
    )

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    name: LocalizedText
    category: Category
    data_type: DataType
    unit: str | None = Field(default=None, description="canonical unit symbol, e.g. °C, mm/s, bar, rpm")
    min: float | None = None
    max: float | None = None
    semantic_id: str | None = Field(default=None, max_length=200, examples=["0173-1#02-AAB713#005"])
    mappings: Mappings | None = None
    allowed_values: list[str] | None = Field(default=None, min_length=1, max_length=200)
    role: ItemRole | None = Field(
        default=None, description="what KPIs read this item as; at most one item per role except alarm"
    )
    source: str | None = Field(
        default=None, max_length=200, description="the public specification the item comes from"
    )

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, unit: str | None) -> str | None:
        if unit is None:
            return None
        try:
            symbol = canonical_symbol(unit)
        except UnitError:
            raise invalid(Msg("unknown unit '{unit}'", unit=unit)) from None
        if symbol != unit:
            raise invalid(Msg("use the canonical symbol '{symbol}'", symbol=symbol))
        return unit

    @model_validator(mode="after")
    def _coherent(self) -> DataItem:
        numeric = self.data_type in ("float", "int")
        if numeric and self.category == "SAMPLE" and self.unit is None:
            raise invalid(Msg("a numeric SAMPLE needs a unit"))
        if not numeric and (self.min is not None or self.max is not None):
            raise invalid(Msg("min/max apply to numeric items only"))
        if self.min is not None and self.max is not None and self.min > self.max:
            raise invalid(Msg("min must not exceed max"))
        if self.allowed_values is not None and self.data_type != "string":
            raise invalid(Msg("allowed_values apply to string items only"))
        wire = self.mappings.opcua_enum_values if self.mappings else None
        if wire is not None and len(wire.split()) != len(self.allowed_values or ()):
            raise invalid(Msg("mappings.opcua_enum_values needs one integer per allowed value"))
        if self.role is not None:
            problem = role_problem(
                self.role, category=self.category, data_type=self.data_type, unit=self.unit
            )
            if problem:
                raise invalid(problem)
        return self


class Attribute(InputModel):
    """A static fact about the machine (nameplate: manufacturer, serial number, software revision): part of
    the model, never a reading a gateway uploads."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "Identification/SerialNumber", "value": "0815-4711", "source": "OPC UA"}]
        },
    )

    name: str = Field(
        min_length=1, max_length=200, description="what the value describes, e.g. Identification/Manufacturer"
    )
    value: str | None = Field(
        default=None, max_length=500, description="null: each machine gives its own (the source is a type)"
    )
    source: str | None = Field(default=None, max_length=500, description="where the source document holds it")


def _unique_names(attributes: list[Attribute] | None) -> list[Attribute] | None:
    names = [a.name for a in attributes or ()]
    repeated = next((n for n in names if names.count(n) > 1), None)
    if repeated is not None:
        raise invalid(Msg("attribute '{name}' appears twice", name=repeated))
    return attributes


_ATTRIBUTES = "static facts about the machine (nameplate), not readings"


def _unique_ids(items: list[DataItem] | None) -> list[DataItem] | None:
    if items is None:
        return None
    seen: set[str] = set()
    roles: dict[str, str] = {}
    for item in items:
        if item.id in seen:
            raise invalid(Msg("data item id '{item_id}' appears twice", item_id=item.id))
        seen.add(item.id)
        if item.role is not None and item.role not in REPEATABLE_ROLES:
            if item.role in roles:
                raise invalid(
                    Msg(
                        "role '{role}' is held by both '{value}' and '{item_id}'",
                        role=item.role,
                        value=roles[item.role],
                        item_id=item.id,
                    )
                )
            roles[item.role] = item.id
    return items


def _known_codes(codes: list[str] | None, known: dict[str, Any], what: str) -> list[str] | None:
    if codes is None:
        return None
    for code in codes:
        if code not in known:
            raise invalid(
                Msg("'{code}' is not a {what}; known: {known}", code=code, what=what, known=", ".join(known))
            )
    if len(set(codes)) != len(codes):
        raise invalid(Msg("a {what} appears twice", what=what))
    return codes


def _subfields(codes: list[str] | None) -> list[str] | None:
    return _known_codes(codes, SUBFIELD_BY_CODE, "technology sub-field code")


def _industries(codes: list[str] | None) -> list[str] | None:
    return _known_codes(codes, INDUSTRY_BY_CODE, "KSIC manufacturing division (C10-C34)")


_SUBFIELDS_DOC = "technology sub-fields the model serves (GET /api/v1/reference: AUTO-EQUIP, INFO-MES, ...)"
_INDUSTRIES_DOC = "KSIC manufacturing divisions whose factories run this equipment (C10-C34)"
_UNIQUE: dict[str, Any] = {"json_schema_extra": {"uniqueItems": True}}  # _known_codes refuses a repeat


class ModelCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {
                    "id": "cnc-lathe",
                    "equipment_type": "CNC_LATHE",
                    "name": {"ko": "CNC 선반", "en": "CNC lathe"},
                    "version": "1.0.0",
                    "items": [_ITEM_EXAMPLE],
                    "subfields": ["AUTO-EQUIP"],
                    "industries": ["C25", "C29"],
                    "ideal_cycle_time_s": 90,
                }
            ]
        },
    )

    id: str = Field(pattern=r"^[a-z][a-z0-9-]{2,63}$")
    owner_org_id: str | None = Field(default=None, max_length=64)
    equipment_type: str = Field(pattern=r"^[A-Z][A-Z0-9_]{1,63}$")
    name: LocalizedText
    description: LocalizedText | None = None
    subfields: list[SubFieldCode] = Field(
        default_factory=list, max_length=14, description=_SUBFIELDS_DOC, **_UNIQUE
    )
    industries: list[IndustryCode] = Field(
        default_factory=list, max_length=25, description=_INDUSTRIES_DOC, **_UNIQUE
    )
    version: str = Field(default="0.1.0", pattern=SEMVER)
    items: list[DataItem] = Field(min_length=1, max_length=500)
    attributes: list[Attribute] = Field(default_factory=list, max_length=500, description=_ATTRIBUTES)
    ideal_cycle_time_s: float | None = _ideal_cycle_time(_IDEAL)
    changelog: str | None = Field(default=None, max_length=4000)

    _unique = field_validator("items")(_unique_ids)
    _unique_attributes = field_validator("attributes")(_unique_names)
    _known_subfields = field_validator("subfields")(_subfields)
    _known_industries = field_validator("industries")(_industries)


class ModelPatch(PatchModel):
    clearable = frozenset({"description"})

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"description": {"ko": "범용 CNC 선반", "en": "General-purpose CNC lathe"}}]
        },
    )

    equipment_type: str | None = Field(default=None, pattern=r"^[A-Z][A-Z0-9_]{1,63}$")
    name: LocalizedText | None = None
    description: LocalizedText | None = None
    subfields: list[SubFieldCode] | None = Field(
        default=None, max_length=14, description=_SUBFIELDS_DOC, **_UNIQUE
    )
    industries: list[IndustryCode] | None = Field(
        default=None, max_length=25, description=_INDUSTRIES_DOC, **_UNIQUE
    )

    _known_subfields = field_validator("subfields")(_subfields)
    _known_industries = field_validator("industries")(_industries)


class VersionCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {
                    "version": "1.1.0",
                    "base_version": "1.0.0",
                    "changelog": "절삭유 유량 추가 / coolant flow added",
                }
            ]
        },
    )

    version: str = Field(pattern=SEMVER)
    base_version: str | None = Field(
        default=None, pattern=SEMVER, description="copy the items of this version"
    )
    items: list[DataItem] | None = Field(default=None, min_length=1, max_length=500)
    attributes: list[Attribute] | None = Field(
        default=None, max_length=500, description=_ATTRIBUTES + "; left out: the copied version's"
    )
    ideal_cycle_time_s: float | None = _ideal_cycle_time(_IDEAL + "; left out: the copied version's")
    changelog: str | None = Field(default=None, max_length=4000)

    _unique = field_validator("items")(_unique_ids)
    _unique_attributes = field_validator("attributes")(_unique_names)


class VersionPatch(PatchModel):
    clearable = frozenset({"changelog", "ideal_cycle_time_s"})

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={"examples": [{"items": [_ITEM_EXAMPLE], "changelog": "범위 수정"}]},
    )

    items: list[DataItem] | None = Field(default=None, min_length=1, max_length=500)
    attributes: list[Attribute] | None = Field(default=None, max_length=500, description=_ATTRIBUTES)
    ideal_cycle_time_s: float | None = _ideal_cycle_time(_IDEAL)
    changelog: str | None = Field(default=None, max_length=4000)

    _unique = field_validator("items")(_unique_ids)
    _unique_attributes = field_validator("attributes")(_unique_names)


class VersionSummary(BaseModel):
    version: str
    status: Status
    published_at: datetime | None


class VersionAdoption(BaseModel):
    version: str
    factories: int = Field(description="registered factories with equipment reporting by this version")
    equipment: int


class ModelOut(BaseModel):
    id: str
    owner_org_id: str
    equipment_type: str
    name: LocalizedText
    description: LocalizedText | None
    subfields: list[str]
    industries: list[str]
    versions: list[VersionSummary]
    latest_published_version: str | None
    created_at: datetime
    adoption: list[VersionAdoption] | None = Field(
        default=None,
        description="versions in use in registered factories, counts only (reads; null: not read, or the "
        "companies service did not answer)",
    )


class VersionOut(BaseModel):
    model_id: str
    version: str
    status: Status
    equipment_type: str
    name: LocalizedText
    items: list[DataItem]
    attributes: list[Attribute] = Field(default_factory=list, description=_ATTRIBUTES)
    ideal_cycle_time_s: float | None
    changelog: str | None
    published_at: datetime | None

    @computed_field(  # type: ignore[prop-decorator]
        description="float items without a unit: a measured value whose unit nobody set (an OPC UA type "
        "NodeSet leaves it to each machine; give units= at import or edit the item); check before publishing"
    )
    @property
    def items_without_unit(self) -> list[str]:
        return [i.id for i in self.items if i.data_type == "float" and i.unit is None]


class Reading(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_id: str = Field(max_length=64)
    # Read as sent (the validation names a value of the wrong type for its item); documented as what it
    # takes: anything else is refused with 400.
    value: Any = Field(default=None, json_schema_extra={"type": ["number", "string", "boolean", "null"]})
    unit: str | None = Field(default=None, max_length=16)
    timestamp: IsoDateTime | None = None


class ValidateRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "readings": [
                        {"item_id": "coolant_temp", "value": 98.6, "unit": "°F"},
                        {"item_id": "spindle_speed", "value": 9000},
                        {"item_id": "execution", "value": "RUNNING"},
                    ]
                }
            ]
        },
    )

    readings: list[Reading] = Field(min_length=1, max_length=10000)


class Violation(BaseModel):
    index: int
    item_id: str
    field: Literal["item_id", "value", "unit", "timestamp"]
    reason: str


class NormalizedReading(BaseModel):
    item_id: str
    value: float | int | bool | str
    unit: str | None


class ValidateResult(BaseModel):
    valid: bool
    violations: list[Violation]
    normalized: list[NormalizedReading]


class MappedEntry(BaseModel):
    source: str = Field(description="where the element sits in the document (path of ids or browse names)")
    item_id: str
    notes: list[str] = Field(description="what was converted, renamed or assumed")


class DroppedEntry(BaseModel):
    source: str
    reason: str


class ImportCounts(BaseModel):
    """What became of the source's elements: ``mapped + attributes + dropped == elements``."""

    elements: int | None = Field(description="elements of the document the importer accounts for")
    mapped: int = Field(description="elements that became one or more data items")
    attributes: int
    dropped: int = Field(description="dropped elements, listed or not")


class ImportReport(BaseModel):
    """In the caller's language (``?lang=ko``); stored with the version in both languages."""

    format: Literal["aas", "mtconnect", "opcua"]
    document: str = Field(description="the title the document gives itself")
    available: list[str] = Field(
        default_factory=list,
        description="what the document offers to import (MTConnect devices, OPC UA machines); pick with a "
        "query parameter",
    )
    chosen: str | None = Field(default=None, description="the one imported")
    counts: ImportCounts
    mapped: list[MappedEntry]
    attributes: list[Attribute] = Field(default_factory=list)
    dropped: list[DroppedEntry]
    notes: list[str]


class ImportResult(BaseModel):
    model: ModelOut
    version: VersionOut
    report: ImportReport


class ImportParams(BaseModel):
    """Query parameters of an import: the new model's id, and names or type the document lacks. Other
    query parameters (``lang``) are not this model's business."""

    model_id: str = Field(pattern=r"^[a-z][a-z0-9-]{2,63}$", description="id of the draft model to create")
    equipment_type: str | None = Field(
        default=None, pattern=r"^[A-Z][A-Z0-9_]{1,63}$", description="default: from the document"
    )
    name_ko: str | None = Field(
        default=None, min_length=1, max_length=200, description="default: from the document"
    )
    name_en: str | None = Field(default=None, min_length=1, max_length=200)
    version: str = Field(default="0.1.0", pattern=SEMVER)
    owner_org_id: str | None = Field(default=None, max_length=64, description="admins only: the owner")
    device: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="MTConnect: the Device (name, id or uuid) of a multi-device document; default: the first",
    )
    node: str | None = Field(
        default=None,
        min_length=1,
        max_length=300,
        description="OPC UA: the machine type or instance to import (NodeId as the primary NodeSet writes "
        "it or with nsu=, or browse name); default: the first candidate the report lists",
    )
    units: list[Annotated[str, StringConstraints(min_length=3, max_length=400)]] | None = Field(
        default=None,
        max_length=500,
        description="OPC UA: units the NodeSet leaves to each machine, one per parameter: "
        "browse/path=unit, a UNECE code or a unit symbol (MainDrive/Speed/ActualValue=RPM)",
    )


class ItemChange(BaseModel):
    item_id: str
    fields: dict[str, dict[str, Any]] = Field(description="field -> {from, to}")
    breaks_uploads: list[str] = Field(
        description="why a reading valid before may now be refused (empty: none)"
    )


class VersionDiff(BaseModel):
    model_id: str
    from_version: str | None = Field(description="null for a first version: every item is added")
    to_version: str
    added: list[str]
    removed: list[str]
    changed: list[ItemChange]
    backward_compatible: bool = Field(
        description="every upload valid for from_version is valid for to_version"
    )
    incompatibilities: list[str]


ReviewAction = Literal["proposed", "comment", "changes_requested", "approved", "published", "deprecated"]


class ReviewCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "decision": "request_changes",
                    "comment": "주축 부하 단위를 %로 / spindle load in %, please",
                }
            ]
        },
    )

    decision: Literal["comment", "request_changes", "approve"] = Field(
        description="comment: note only; request_changes: back to the vendor; approve: publish"
    )
    comment: str | None = Field(default=None, min_length=1, max_length=4000)

    @model_validator(mode="after")
    def _reasoned(self) -> ReviewCreate:
        if self.decision != "approve" and not self.comment:
            raise invalid(Msg("a comment or a request for changes needs the comment"))
        return self


class ProposalCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"comment": "검토 부탁드립니다 / please review"}]}
    )

    comment: str | None = Field(default=None, max_length=4000)


class ReviewOut(BaseModel):
    id: str
    model_id: str
    version: str
    action: ReviewAction
    comment: str | None
    author: str
    author_org_id: str | None
    created_at: datetime


KEY_EQUIPMENT_TARGET = 500
"""The plan's target: data standards for 500 key equipment types (핵심장비 500개 데이터 표준화)."""


class TypeProgress(BaseModel):
    equipment_type: str
    published_models: int
    equipment_in_use: int | None = Field(
        default=None, description="registered factories' equipment reporting by a model of this type"
    )


class TaxonomyProgress(BaseModel):
    code: str
    name: LocalizedText
    published_models: int
    equipment_types: int


class KeyEquipmentOut(BaseModel):
    target_equipment_types: int = Field(description="the plan's target of standardised key equipment types")
    equipment_types: int = Field(description="equipment types with at least one published model")
    published_models: int
    progress_pct: float = Field(description="equipment_types / target, in percent")
    equipment_in_use: int | None = Field(
        default=None,
        description="registered factories' equipment reporting by a published model (null: the companies "
        "service did not answer)",
    )
    by_equipment_type: list[TypeProgress]
    by_subfield: list[TaxonomyProgress] = Field(description="all 14 sub-fields, zero where none")
    by_industry: list[TaxonomyProgress] = Field(description="KSIC divisions with published models")
