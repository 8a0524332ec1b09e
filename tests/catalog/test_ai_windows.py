"""Windows as a signature asks for them (``catalog.ai_runs.windows``): means per interval, items in input
order, windows aligned to the epoch, and incomplete windows left out. No server: an Arrow table in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa

from catalog.ai_runs.windows import READINGS_SHAPE, windows_of
from services.usecases.runnable.signature import Signature

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SIGNATURE = Signature.model_validate(
    {
        "model_id": "cnc-lathe",
        "model_version": "1.0.0",
        "items": ["spindle_speed", "coolant_temp"],
        "window_length": 3,
        "interval_seconds": 60,
        "outputs": [{"name": "score", "kind": "score"}],
    }
)


def rows(*readings: tuple[str, str, int, float]) -> pa.Table:
    """(equipment, item, seconds after T0, value) rows."""
    return pa.Table.from_pylist(
        [{"equipment": e, "item": i, "ts": T0 + timedelta(seconds=s), "value": v} for e, i, s, v in readings],
        schema=READINGS_SHAPE,
    )


def test_values_are_interval_means_items_in_signature_order() -> None:
    readings = rows(
        ("eq-1", "coolant_temp", 0, 20.0),
        ("eq-1", "coolant_temp", 60, 21.0),
        ("eq-1", "coolant_temp", 120, 22.0),
        ("eq-1", "spindle_speed", 0, 1000.0),
        ("eq-1", "spindle_speed", 30, 1010.0),  # same interval as the one above: averaged to 1005
        ("eq-1", "spindle_speed", 60, 1100.0),
        ("eq-1", "spindle_speed", 150, 1200.0),
        ("eq-1", "feed_rate", 0, 5.0),  # not in the signature: ignored
    )
    windows = windows_of(readings, SIGNATURE).to_pylist()
    assert windows == [
        {
            "equipment": "eq-1",
            "window_start": T0,
            "window_end": T0 + timedelta(minutes=3),
            "features": [1005.0, 1100.0, 1200.0, 20.0, 21.0, 22.0],
        }
    ]


def test_a_window_with_a_gap_is_left_out_and_others_are_kept_per_equipment() -> None:
    full = [("eq-2", item, s, 1.0) for item in SIGNATURE.items for s in (0, 60, 120, 180, 240, 300)]
    gap = [r for r in full if not (r[1] == "coolant_temp" and r[2] == 240)]  # second window misses a value
    other = [("eq-3", item, s, 2.0) for item in SIGNATURE.items for s in (180, 240, 300)]
    windows = windows_of(rows(*gap, *other), SIGNATURE)
    assert [(w["equipment"], w["window_start"]) for w in windows.to_pylist()] == [
        ("eq-2", T0),
        ("eq-3", T0 + timedelta(minutes=3)),
    ]
