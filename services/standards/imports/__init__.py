"""Imports of equipment descriptions into a draft model: AAS V3 JSON, MTConnect Devices XML, OPC UA NodeSet2.

Each parser turns a document into a :class:`~services.standards.imports.draft.Draft` (data items plus the
mapping report); nothing is stored until the whole document parsed, so a malformed or hostile document
creates nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from services.standards.imports import aas, mtconnect, opcua
from services.standards.imports.draft import Draft
from services.standards.imports.opcua.shelf import Shelf
from services.standards.schemas import ImportParams

ImportFormat = Literal["aas", "mtconnect", "opcua"]
# A parser reads the document and the query's choices (which device or machine of the document); OPC UA
# also the importer's shelf of NodeSets imported before (the models a NodeSet requires).
PARSERS: dict[str, Callable[[bytes, ImportParams, Shelf], Draft]] = {
    "aas": lambda data, params, shelf: aas.parse(data),
    "mtconnect": lambda data, params, shelf: mtconnect.parse(data, device=params.device),
    "opcua": lambda data, params, shelf: opcua.parse(
        data, node=params.node, shelf=shelf, units=params.units or ()
    ),
}
