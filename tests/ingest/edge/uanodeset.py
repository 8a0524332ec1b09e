"""An OPC UA server built from NodeSet2 files (asyncua ``import_xml``), the machine a companion NodeSet
describes, on the loop and thread of ``MachineServer``. Its variables are written by NodeId as the
NodeSet writes it with its namespace URI (``nsu=…;i=6067``): the server numbers namespaces in the order
it loads them, not as the files do. ``PackMLFiller`` is a PackML machine whose counters are an array of
structures.

MachineTool (which LaserSystems requires) names two models the samples lack (ISA95 job control,
Machinery/Jobs); asyncua refuses a NodeSet whose required models it does not hold, so the server first
loads an empty NodeSet declaring them: the job-control nodes that need their types are left out, every
other node loads.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from asyncua import Server, ua

from tests.ingest.edge.uaserver import MachineServer
from tests.interop import SAMPLES

OPCUA = SAMPLES / "opcua"
LASER_EXAMPLE = "http://vdma.org/UA/LaserSystem-Example/"
# In the order a server must load them: each after the models it requires.
LASER_NODESETS = [
    OPCUA / "Opc.Ua.Di.NodeSet2.xml",
    OPCUA / "Opc.Ua.IA.NodeSet2.xml",
    OPCUA / "Opc.Ua.Machinery.NodeSet2.xml",
    OPCUA / "Opc.Ua.MachineTool.NodeSet2.xml",
    OPCUA / "Opc.Ua.LaserSystems.NodeSet2.xml",
    OPCUA / "LaserSystem-Example.NodeSet2.xml",
]
ABSENT_MODELS = """<?xml version="1.0" encoding="utf-8"?>
<UANodeSet xmlns="http://opcfoundation.org/UA/2011/03/UANodeSet.xsd">
  <NamespaceUris>
    <Uri>http://opcfoundation.org/UA/ISA95-JOBCONTROL_V2/</Uri>
    <Uri>http://opcfoundation.org/UA/Machinery/Jobs/</Uri>
  </NamespaceUris>
  <Models>
    <Model ModelUri="http://opcfoundation.org/UA/ISA95-JOBCONTROL_V2/" Version="2.0.0"
           PublicationDate="2024-01-31T00:00:00Z"/>
    <Model ModelUri="http://opcfoundation.org/UA/Machinery/Jobs/" Version="1.0.1"
           PublicationDate="2024-05-01T00:00:00Z"/>
  </Models>
</UANodeSet>
"""


class NodeSetServer(MachineServer):
    # asyncua reads six NodeSets in Python: seconds on a quiet machine, a minute or more on a loaded one.
    start_timeout_s = 240.0

    def __init__(self, nodesets: list[Path], variables: list[str]) -> None:
        super().__init__()
        self.nodesets, self.variables = nodesets, variables

    async def _start(self, port: int) -> None:
        server = Server()
        await server.init()
        server.set_endpoint(f"opc.tcp://127.0.0.1:{port}/machine")
        server.set_server_name("smartmfg test machine from NodeSets")
        await server.import_xml(xmlstring=ABSENT_MODELS, strict_mode=False)
        for path in self.nodesets:
            await server.import_xml(str(path), strict_mode=False)
        namespaces = await server.get_namespace_array()
        for text in self.variables:
            uri, _, rest = text.removeprefix("nsu=").partition(";")
            node = server.get_node(f"ns={namespaces.index(uri)};{rest}")
            kind = await node.read_data_type_as_variant_type()
            self.nodes[text] = (node, kind)
        await server.start()
        self.server = server

    async def _index(self, uri: str) -> int:
        assert self.server is not None
        return list(await self.server.get_namespace_array()).index(uri)

    def namespace_index(self, uri: str) -> int:
        return int(self._call(self._index(uri)))


class PackMLFiller(MachineServer):
    """PackML's NodeSet with one machine, ``Filler1`` (PackMLBaseObjectType). asyncua instantiates a type's
    mandatory members only, so the counter a filler reports, ``Admin/ProdProcessedCount`` (an array of
    PackMLCountDataType structures), is added as the companion declares it."""

    async def _start(self, port: int) -> None:
        server = Server()
        await server.init()
        server.set_endpoint(f"opc.tcp://127.0.0.1:{port}/machine")
        await server.import_xml(str(OPCUA / "Opc.Ua.PackML.NodeSet2.xml"))
        idx = list(await server.get_namespace_array()).index("http://opcfoundation.org/UA/PackML/")
        await server.load_data_type_definitions()  # PackMLCountDataType as a dataclass
        base_object_type = ua.NodeId.from_string(f"ns={idx};i=6")  # PackMLBaseObjectType
        filler = await server.nodes.objects.add_object(idx, "Filler1", objecttype=base_object_type)
        admin = await filler.get_child(f"{idx}:Admin")
        count_type = await server.nodes.base_structure_type.get_child(f"{idx}:PackMLCountDataType")
        empty = ua.Variant([], ua.VariantType.ExtensionObject)
        node = await admin.add_variable(idx, "ProdProcessedCount", empty, datatype=count_type.nodeid)
        self.nodes["ProdProcessedCount"] = (node, ua.VariantType.ExtensionObject)
        await server.start()
        self.server = server

    def counts(self, records: list[tuple[int, int]], ts: datetime) -> None:
        """ProdProcessedCount as one record (ID 1, 2...) per ``(Count, AccCount)``."""
        make = ua.PackMLCountDataType  # type: ignore[attr-defined]  # made by load_data_type_definitions
        values = [make(ID=i + 1, Count=count, AccCount=total) for i, (count, total) in enumerate(records)]
        self.write("ProdProcessedCount", values, ts)
