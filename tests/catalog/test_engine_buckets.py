"""DuckDB's time buckets of a series' window, worked out once per slot, are time_bucket's row by row.

``DuckDbEngine.bucket`` with a window looks each row's bucket up in a list of the window's quarter-hour
slots; these tests hold it to DuckDB's own ``time_bucket`` (the oracle) across offset changes, to bucket
starts written out by hand, and check when it falls back to ``time_bucket`` per row.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from catalog.engines import BUCKETS, DuckDbEngine


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    yield con
    con.close()


def buckets(
    con: duckdb.DuckDBPyConnection,
    width: str,
    tz: str,
    start: datetime,
    end: datetime,
    step: timedelta,
    window: tuple[datetime, datetime] | None,
) -> list[tuple[datetime, datetime]]:
    """(ts, bucket) of one row every ``step`` of [start, end), bucketed as a series would."""
    expression, zones = DuckDbEngine(lambda: con).bucket(width, window)
    rows = con.execute(
        f"SELECT ts, {expression} FROM (SELECT unnest(range(?::TIMESTAMPTZ, ?::TIMESTAMPTZ, ?)) AS ts) "
        "ORDER BY ts",
        [*[tz] * zones, start, end, step],
    ).fetchall()
    return [(ts.astimezone(UTC), bucket.astimezone(UTC)) for ts, bucket in rows]


# Windows around offset changes: Berlin's 25-hour day (summer time ends 01:00 UTC), Lord Howe's half-hour
# change, Kathmandu's +05:45, St John's -03:30, Monrovia's -00:44:30 until 1972 (slots straddle buckets).
WINDOWS = [
    ("Europe/Berlin", datetime(2025, 10, 25, 12, tzinfo=UTC), datetime(2025, 10, 27, tzinfo=UTC)),
    ("Australia/Lord_Howe", datetime(2025, 4, 5, tzinfo=UTC), datetime(2025, 4, 6, 12, tzinfo=UTC)),
    ("Asia/Kathmandu", datetime(2025, 11, 23, 12, tzinfo=UTC), datetime(2025, 11, 25, tzinfo=UTC)),
    ("America/St_Johns", datetime(2025, 11, 1, 12, tzinfo=UTC), datetime(2025, 11, 3, tzinfo=UTC)),
    ("Africa/Monrovia", datetime(1972, 1, 6, tzinfo=UTC), datetime(1972, 1, 8, tzinfo=UTC)),
]


@pytest.mark.parametrize(("tz", "start", "end"), WINDOWS, ids=[w[0] for w in WINDOWS])
def test_slot_buckets_are_time_buckets_row_by_row(
    con: duckdb.DuckDBPyConnection, tz: str, start: datetime, end: datetime
) -> None:
    for width in BUCKETS:
        step = timedelta(seconds=30) if width in ("1m", "5m") else timedelta(minutes=7, seconds=30)
        # rows on both sides of the window too: they are outside the slot list and bucket row by row
        wide = (start - timedelta(hours=1), end + timedelta(hours=1))
        slotted = buckets(con, width, tz, *wide, step, (start, end))
        assert slotted == buckets(con, width, tz, *wide, step, None), (tz, width)


def test_bucket_starts_worked_out_by_hand(con: duckdb.DuckDBPyConnection) -> None:
    def bucket_of(width: str, tz: str, ts: datetime) -> datetime:
        window = (ts.replace(hour=0, minute=0), ts.replace(hour=0, minute=0) + timedelta(days=1))
        ((_, bucket),) = buckets(con, width, tz, ts, ts + timedelta(seconds=1), timedelta(seconds=1), window)
        return bucket

    # Kathmandu is UTC+05:45: 00:10 UTC is 05:55 local, in the hour that began 23:15 UTC the day before
    kathmandu = bucket_of("1h", "Asia/Kathmandu", datetime(2025, 11, 24, 0, 10, tzinfo=UTC))
    assert kathmandu == datetime(2025, 11, 23, 23, 15, tzinfo=UTC)
    assert bucket_of("1h", "Asia/Kathmandu", datetime(2025, 11, 24, 0, 20, tzinfo=UTC)) == datetime(
        2025, 11, 24, 0, 15, tzinfo=UTC
    )
    # Berlin's 26 October 2025 has 25 hours: it starts 22:00 UTC the day before and ends 23:00 UTC
    assert bucket_of("1d", "Europe/Berlin", datetime(2025, 10, 26, 22, 30, tzinfo=UTC)) == datetime(
        2025, 10, 25, 22, tzinfo=UTC
    )
    assert bucket_of("1d", "Europe/Berlin", datetime(2025, 10, 26, 23, 0, tzinfo=UTC)) == datetime(
        2025, 10, 26, 23, tzinfo=UTC
    )
    # St John's is UTC-03:30: its 6-hour buckets start at 03:30, 09:30, 15:30 and 21:30 UTC
    assert bucket_of("6h", "America/St_Johns", datetime(2025, 11, 2, 9, 29, tzinfo=UTC)) == datetime(
        2025, 11, 2, 3, 30, tzinfo=UTC
    )


def test_the_slot_list_is_used_only_for_a_bounded_window_after_1970(con: duckdb.DuckDBPyConnection) -> None:
    engine = DuckDbEngine(lambda: con)
    day = (datetime(2025, 11, 24, tzinfo=UTC), datetime(2025, 11, 25, tzinfo=UTC))
    assert "list_transform" in engine.bucket("1h", day)[0]  # 96 quarter hours
    assert "list_transform" in engine.bucket("1m", day)[0]  # 1,440 minutes
    assert engine.bucket("1h", None) == ("time_bucket(INTERVAL 1 HOUR, ts, ?)", 1)
    a_month = (day[0], day[0] + timedelta(days=30))  # 43,200 minutes: more than MAX_SLOTS
    assert engine.bucket("1m", a_month) == ("time_bucket(INTERVAL 1 MINUTE, ts, ?)", 1)
    before_1970 = (datetime(1969, 12, 31, tzinfo=UTC), datetime(1970, 1, 2, tzinfo=UTC))
    assert engine.bucket("1h", before_1970) == ("time_bucket(INTERVAL 1 HOUR, ts, ?)", 1)
