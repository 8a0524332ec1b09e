"""The readings every benchmark sends: a bench lathe's model and deterministic batches of its readings.

Light on purpose (numpy, pyarrow, orjson): the gateway processes of bench/gateway.py import only this.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from ingest import messages

ARROW = "application/vnd.apache.arrow.stream"
ITEMS = ["spindle_speed", "spindle_load", "feed_rate", "coolant_temp"]


def model() -> dict[str, Any]:
    def item(item_id: str, unit: str, hi: float) -> dict[str, Any]:
        return {
            "id": item_id,
            "name": {"ko": item_id},
            "category": "SAMPLE",
            "data_type": "float",
            "unit": unit,
            "min": 0,
            "max": hi,
        }

    return {
        "id": "bench-lathe",
        "equipment_type": "CNC_LATHE",
        "name": {"ko": "벤치 선반"},
        "version": "1.0.0",
        "items": [
            item("spindle_speed", "rpm", 6000),
            item("spindle_load", "%", 150),
            item("feed_rate", "mm/s", 500),
            item("coolant_temp", "°C", 80),
        ],
    }


FIXED_START = datetime(2025, 11, 24, tzinfo=UTC)


def arrow_batch(rows: int, seed: int, first: datetime = FIXED_START) -> pa.Table:
    """``rows`` readings one millisecond apart from ``first`` (by default a fixed past instant: the same
    bytes in every run)."""
    rng = np.random.default_rng(seed)
    start = int(first.timestamp() * 1e6)
    return pa.table(
        {
            "equipment_id": pa.array([f"eq-{i}" for i in rng.integers(0, 50, rows)]),
            "model_id": pa.array(["bench-lathe"] * rows),
            "model_version": pa.array(["1.0.0"] * rows),
            "item_id": pa.array([ITEMS[i] for i in rng.integers(0, 4, rows)]),
            "ts": pa.array(start + np.arange(rows) * 1000, pa.timestamp("us", tz="UTC")),
            "value": pa.array(rng.uniform(0, 80, rows)),
        }
    )


def json_batch(rows: int, seed: int, first: datetime = FIXED_START) -> bytes:
    table = arrow_batch(rows, seed, first)
    out = table.to_pydict()
    readings = [
        {
            "equipment_id": e,
            "model_id": "bench-lathe",
            "model_version": "1.0.0",
            "item_id": i,
            "ts": t.isoformat(),
            "value": v,
        }
        for e, i, t, v in zip(out["equipment_id"], out["item_id"], out["ts"], out["value"], strict=True)
    ]
    return orjson.dumps({"readings": readings})


def body(content_type: str, rows: int, seed: int, first: datetime = FIXED_START) -> bytes:
    """An upload body of ``rows`` readings: an Arrow IPC stream or a JSON document."""
    if content_type == ARROW:
        return messages.encode(arrow_batch(rows, seed, first))
    return json_batch(rows, seed, first)
