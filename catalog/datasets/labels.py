"""Labels a publisher uploads with a dataset: one row per equipment and time window, as CSV or Parquet.

Columns: ``equipment_id``, ``window_start``, ``window_end``, ``label`` and, when two factories of the
selection have equipment of the same id, ``factory_id``. Times are ISO 8601 with a zone (CSV) or zone-aware
timestamps (Parquet). Every refusal is a 422 whose ``fields[].loc`` names the row (1 = the first data row) and
the column: ``labels[3].equipment_id``. Labels are checked against the equipment that have readings in the
selection, so a label can never name (or reveal) equipment outside the dataset.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from services.kit.arrow import UTC_US
from services.kit.errors import FieldError, ValidationFailed, field_error
from services.kit.messages import Msg

REQUIRED = ("equipment_id", "window_start", "window_end", "label")
MAX_ROWS = 100_000
MAX_LABEL = 64
MAX_ERRORS = 20  # the first refused rows are named; a file wrong throughout is not listed in full


def _refuse(fields: list[FieldError]) -> ValidationFailed:
    return ValidationFailed(
        Msg("the labels file has errors; `fields` names the rows"), fields=fields[:MAX_ERRORS]
    )


def read_table(data: bytes, filename: str) -> pa.Table:
    """The uploaded file as a table of strings and timestamps; a Parquet file by its magic bytes."""
    try:
        if data[:4] == b"PAR1":
            return pq.read_table(io.BytesIO(data))
        return pcsv.read_csv(
            io.BytesIO(data),
            convert_options=pcsv.ConvertOptions(
                column_types={"window_start": pa.string(), "window_end": pa.string()},
                strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, OSError) as exc:
        raise ValidationFailed(
            Msg("the labels file '{name}' is neither CSV with a header nor Parquet", name=filename),
            fields=[field_error("labels", Msg("not CSV or Parquet"))],
        ) from exc


def _time(value: Any, loc: str, fields: list[FieldError]) -> datetime | None:
    if isinstance(value, datetime):
        found = value
    else:
        try:
            found = datetime.fromisoformat(str(value))
        except ValueError:
            fields.append(field_error(loc, Msg("not an ISO 8601 time")))
            return None
    if found.tzinfo is None:
        fields.append(field_error(loc, Msg("a time needs a zone, e.g. +09:00 or Z")))
        return None
    return found


def parse(data: bytes, filename: str, equipment: dict[tuple[str, str], str]) -> pa.Table:
    """Labels with each equipment replaced by its pseudonym (``equipment`` maps (factory id, equipment id) of
    the selection to pseudonyms); times as they were uploaded (the time shift is applied by the caller)."""
    table = read_table(data, filename)
    missing = [c for c in REQUIRED if c not in table.column_names]
    if missing:
        raise _refuse([field_error(f"labels.{c}", Msg("missing column")) for c in missing])
    if table.num_rows > MAX_ROWS:
        raise _refuse([field_error("labels", Msg("more than {max} rows", max=MAX_ROWS))])
    if table.num_rows == 0:
        raise _refuse([field_error("labels", Msg("no rows"))])
    by_id: dict[str, list[str]] = {}
    for factory_id, equipment_id in equipment:
        by_id.setdefault(equipment_id, []).append(factory_id)
    with_factory = "factory_id" in table.column_names
    columns = [*REQUIRED, *(["factory_id"] if with_factory else [])]
    rows = table.select(columns).to_pylist()
    fields: list[FieldError] = []
    out: dict[str, list[Any]] = {"equipment": [], "window_start": [], "window_end": [], "label": []}
    for number, row in enumerate(rows, start=1):
        loc = f"labels[{number}]"
        equipment_id = str(row["equipment_id"] or "")
        factories = [row["factory_id"]] if with_factory and row["factory_id"] else by_id.get(equipment_id, [])
        key = (str(factories[0]), equipment_id) if len(factories) == 1 else None
        if key is None or key not in equipment:
            fields.append(
                field_error(
                    f"{loc}.equipment_id",
                    Msg(
                        "equipment '{equipment_id}' has no readings in the dataset", equipment_id=equipment_id
                    )
                    if len(factories) < 2
                    else Msg(
                        "equipment '{equipment_id}' is in several factories; add a factory_id column",
                        equipment_id=equipment_id,
                    ),
                )
            )
        start = _time(row["window_start"], f"{loc}.window_start", fields)
        end = _time(row["window_end"], f"{loc}.window_end", fields)
        if start is not None and end is not None and end <= start:
            fields.append(field_error(f"{loc}.window_end", Msg("must be after window_start")))
        label = "" if row["label"] is None else str(row["label"]).strip()
        if not label or len(label) > MAX_LABEL:
            fields.append(field_error(f"{loc}.label", Msg("1 to {max} characters", max=MAX_LABEL)))
        if key is not None and key in equipment and start and end:
            out["equipment"].append(equipment[key])
            out["window_start"].append(start)
            out["window_end"].append(end)
            out["label"].append(label)
    if fields:
        raise _refuse(fields)
    return pa.table(
        {
            "equipment": pa.array(out["equipment"], pa.string()),
            "window_start": pc.cast(pa.array(out["window_start"], UTC_US), UTC_US),
            "window_end": pc.cast(pa.array(out["window_end"], UTC_US), UTC_US),
            "label": pa.array(out["label"], pa.string()),
        }
    )
