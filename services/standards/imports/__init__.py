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

ImportFormat = Literal["aas", "mtconnect", "opcua"]
PARSERS: dict[str, Callable[[bytes], Draft]] = {
    "aas": aas.parse,
    "mtconnect": mtconnect.parse,
    "opcua": opcua.parse,
}
