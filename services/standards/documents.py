"""Further exports of a model version: Arrow schemas of its uploads, an example payload, a readable page.

- Arrow ``long``: one row per reading, the columns a gateway uploads as Arrow IPC or Parquet (value_num for
  numbers and booleans, value_text for text), the items' contract in the schema metadata.
- Arrow ``wide``: one row per equipment and instant, one typed column per item, each field carrying its
  unit, range and semantic id as metadata: the table shape analytics tools expect.
- The example payload is an upload body of ``POST /api/v1/ingest/batches`` with one valid reading per item.
- The page is a self-contained HTML document (no scripts, no external resources) in Korean or English.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any, Literal

import pyarrow as pa

from services.kit.arrow import UTC_US
from services.standards.schemas import DataItem, VersionOut

_ARROW_TYPES = {"float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(), "string": pa.string()}
EXAMPLE_TS = "2026-01-05T09:00:00+09:00"


def _items_metadata(version: VersionOut) -> dict[str, str]:
    contract = [i.model_dump(mode="json", exclude_none=True, include={"id", "data_type", "unit", "min", "max",
                                                                      "allowed_values", "role"})
                for i in version.items]  # fmt: skip
    return {
        "smartmfg.model_id": version.model_id,
        "smartmfg.model_version": version.version,
        "smartmfg.items": json.dumps(contract, ensure_ascii=False),
    }


def _field_metadata(item: DataItem) -> dict[str, str]:
    found = {
        "unit": item.unit,
        "min": None if item.min is None else repr(item.min),
        "max": None if item.max is None else repr(item.max),
        "semantic_id": item.semantic_id,
        "category": item.category,
        "role": item.role,
        "name_ko": item.name.ko,
        "name_en": item.name.en,
    }
    return {k: v for k, v in found.items() if v is not None}


def arrow_schema(version: VersionOut, layout: Literal["long", "wide"]) -> pa.Schema:
    if layout == "long":
        fields = [
            pa.field("equipment_id", pa.string(), nullable=False),
            pa.field("model_id", pa.string(), nullable=False),
            pa.field("model_version", pa.string(), nullable=False),
            pa.field("item_id", pa.dictionary(pa.int32(), pa.string()), nullable=False),
            pa.field("ts", UTC_US, nullable=False),
            pa.field("value_num", pa.float64()),
            pa.field("value_text", pa.string()),
            pa.field("unit", pa.string()),
            pa.field("quality", pa.string()),
        ]
    else:
        fields = [
            pa.field("equipment_id", pa.string(), nullable=False),
            pa.field("ts", UTC_US, nullable=False),
        ]
        fields += [
            pa.field(item.id, _ARROW_TYPES[item.data_type], metadata=_field_metadata(item))
            for item in version.items
        ]
    return pa.schema(fields, metadata=_items_metadata(version))


def schema_document(schema: pa.Schema, layout: str) -> dict[str, Any]:
    """The schema as JSON: fields with their Arrow type names and metadata."""

    def meta(raw: dict[bytes, bytes] | None) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in (raw or {}).items()}

    return {
        "layout": layout,
        "fields": [
            {"name": f.name, "type": str(f.type), "nullable": f.nullable, "metadata": meta(f.metadata)}
            for f in schema
        ],
        "metadata": meta(schema.metadata),
    }


def _example_value(item: DataItem) -> Any:
    if item.allowed_values:
        return item.allowed_values[0]
    if item.data_type == "bool":
        return False
    if item.data_type == "string":
        return "O1234"
    lo = item.min if item.min is not None else 0.0
    hi = item.max if item.max is not None else lo + 100.0
    middle = lo + (hi - lo) / 2 if hi - lo < 1e6 else lo  # counters start low
    return round(middle) if item.data_type == "int" else round(middle, 3)


def example_payload(version: VersionOut, equipment_id: str = "eq-01") -> dict[str, Any]:
    readings = []
    for item in version.items:
        reading: dict[str, Any] = {
            "equipment_id": equipment_id,
            "model_id": version.model_id,
            "model_version": version.version,
            "item_id": item.id,
            "ts": EXAMPLE_TS,
            "value": _example_value(item),
            "quality": "good",
        }
        if item.unit:
            reading["unit"] = item.unit
        readings.append(reading)
    return {"readings": readings}


_LABELS = {
    True: ("데이터 표준", "데이터 항목", "분류", "자료형", "단위", "범위", "허용 값", "KPI 역할", "출처",
           "의미 ID", "매핑", "이상적 사이클 타임", "상태", "설비 유형", "초"),
    False: ("Data standard", "Data items", "Category", "Type", "Unit", "Range", "Allowed values", "KPI role",
            "Source", "Semantic id", "Mappings", "Ideal cycle time", "Status", "Equipment type", "s"),
}  # fmt: skip


def _cell(value: Any) -> str:
    return escape("" if value is None else str(value))


def html_page(version: VersionOut, korean: bool) -> str:
    (title, items_label, category, data_type, unit, span, allowed, role, source, semantic, mappings, ideal,
     status, equipment, seconds) = _LABELS[korean]  # fmt: skip
    name = version.name.ko if korean or not version.name.en else version.name.en
    rows = []
    for item in version.items:
        bounds = "" if item.min is None and item.max is None else f"{_cell(item.min)} – {_cell(item.max)}"
        mapped = item.mappings.model_dump(exclude_none=True) if item.mappings else {}
        rows.append(
            "<tr>"
            f"<td><code>{_cell(item.id)}</code></td>"
            f"<td>{_cell(item.name.ko if korean or not item.name.en else item.name.en)}</td>"
            f"<td>{_cell(item.category)}</td><td>{_cell(item.data_type)}</td><td>{_cell(item.unit)}</td>"
            f"<td>{bounds}</td><td>{_cell(', '.join(item.allowed_values or []))}</td>"
            f"<td>{_cell(item.role)}</td><td>{_cell(item.semantic_id)}</td>"
            f"<td>{_cell('; '.join(f'{k}: {v}' for k, v in mapped.items()))}</td>"
            f"<td>{_cell(item.source)}</td>"
            "</tr>"
        )
    ideal_row = (
        f"<dt>{ideal}</dt><dd>{version.ideal_cycle_time_s:g} {seconds}</dd>"
        if version.ideal_cycle_time_s is not None
        else ""
    )
    head = "".join(
        f"<th scope='col'>{h}</th>"
        for h in (
            "ID",
            items_label,
            category,
            data_type,
            unit,
            span,
            allowed,
            role,
            semantic,
            mappings,
            source,
        )
    )
    return (
        f"<!DOCTYPE html><html lang='{'ko' if korean else 'en'}'><head><meta charset='utf-8'>"
        f"<title>{_cell(name)} {_cell(version.version)} — {title}</title>"
        "<style>body{font-family:sans-serif;margin:2rem}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:.25rem .5rem;text-align:left;vertical-align:top}</style>"
        f"</head><body><h1>{_cell(name)} <small>{_cell(version.version)}</small></h1>"
        f"<dl><dt>{equipment}</dt><dd><code>{_cell(version.equipment_type)}</code></dd>"
        f"<dt>{status}</dt><dd>{_cell(version.status)}</dd>{ideal_row}</dl>"
        f"<h2>{items_label}</h2><table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        "</body></html>"
    )
