"""Equipment models as the gateway sees them: fetched from the platform's standards API (public for
published versions) and cached on disk, so a gateway restarted while the platform is unreachable still
knows its items, units and OPC UA / MTConnect mappings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

STANDARDS = "/api/v1/standards"


class ModelUnavailable(Exception):
    """The model (or version) is not published on the platform, or the platform could not be asked."""


@dataclass(frozen=True)
class ModelItem:
    item_id: str
    data_type: str
    category: str
    unit: str | None
    lo: float | None
    hi: float | None
    allowed: tuple[str, ...]
    mappings: dict[str, Any]  # opcua_node_id, opcua_browse_name, mtconnect_data_item_id, mtconnect_type...


def enum_names(mappings: dict[str, Any], allowed: list[str] | tuple[str, ...]) -> dict[str, str] | None:
    """An OPC UA enumeration item's translation: the integer the wire carries (as text) -> the name the
    item holds (``opcua_enum_values`` lists the integers of ``allowed_values``, in their order)."""
    wire = str(mappings.get("opcua_enum_values") or "").split()
    if not wire or len(wire) != len(allowed):
        return None
    return dict(zip(wire, allowed, strict=True))


@dataclass(frozen=True)
class Model:
    model_id: str
    version: str
    items: dict[str, ModelItem]


def model_of(document: dict[str, Any]) -> Model:
    """A ``VersionOut`` body of the standards API as a model."""
    items = {
        i["id"]: ModelItem(
            i["id"],
            i["data_type"],
            i["category"],
            i.get("unit"),
            i.get("min"),
            i.get("max"),
            tuple(i.get("allowed_values") or ()),
            {k: v for k, v in (i.get("mappings") or {}).items() if v is not None},  # index 0 is a value
        )
        for i in document["items"]
    }
    return Model(document["model_id"], document["version"], items)


def latest_version(http: httpx.Client, api: str, model_id: str) -> str:
    answer = http.get(f"{api}{STANDARDS}/{model_id}")
    if answer.status_code == 404:
        raise ModelUnavailable(f"the platform has no equipment model '{model_id}'")
    answer.raise_for_status()
    version = answer.json().get("latest_published_version")
    if not version:
        raise ModelUnavailable(f"equipment model '{model_id}' has no published version")
    return str(version)


def fetch_version(http: httpx.Client, api: str, model_id: str, version: str) -> dict[str, Any]:
    answer = http.get(f"{api}{STANDARDS}/{model_id}/versions/{version}")
    if answer.status_code == 404:
        raise ModelUnavailable(f"the platform has no published version {version} of model '{model_id}'")
    answer.raise_for_status()
    document = dict(answer.json())
    if document.get("status") != "published":
        raise ModelUnavailable(f"version {version} of model '{model_id}' is {document.get('status')}")
    return document


class ModelCache:
    """Models by (id, version); ``version=None`` asks the platform for the latest published one. Fetched
    documents are kept under ``root``; the cache answers only when the platform cannot."""

    def __init__(self, http: httpx.Client, api: str, root: Path) -> None:
        self.http, self.api, self.root = http, api, root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, model_id: str, version: str | None) -> Path:
        return self.root / f"{model_id}@{version or 'latest'}.json"

    def get(self, model_id: str, version: str | None) -> Model:
        try:
            resolved = version or latest_version(self.http, self.api, model_id)
            document = fetch_version(self.http, self.api, model_id, resolved)
        except httpx.TransportError as exc:
            cached = self._path(model_id, version)
            if not cached.exists():
                raise ModelUnavailable(
                    f"the platform is unreachable ({exc}) and model '{model_id}' was never fetched"
                ) from None
            return model_of(orjson.loads(cached.read_bytes()))
        data = orjson.dumps(document)
        for path in {self._path(model_id, version), self._path(model_id, resolved)}:
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        return model_of(document)
