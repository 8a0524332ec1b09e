"""The SQL engines that answer analytics over the lake: a port (``SqlEngine``) and its two adapters.

- ``DuckDbEngine`` (the default): reads, in this process, the data files pyiceberg planned;
- ``TrinoEngine`` (``SMARTMFG_ANALYTICS_ENGINE=trino``): asks a Trino server whose Iceberg connector reads
  the same JDBC catalog in PostgreSQL and the same bucket (infra/trino), for when one node is outgrown.

Invariants that make both give the same answers:
- The platform plans every query with pyiceberg (``catalog.query.QueryEngine.plan``), which chooses the
  snapshot once; both engines read exactly that snapshot: DuckDB its planned data files, Trino the table
  ``FOR VERSION AS OF <snapshot id>``. A listing's later pages read the snapshot of its first.
- The WHERE clauses, tenancy grants included, are built once (``ReadingFilter.sql``) with ``?``
  parameters, the paramstyle of both clients. No caller text becomes SQL: only whitelisted bucket widths,
  quantile fractions written in the code, integer snapshot ids and integer slot numbers (DuckDB's buckets
  of a window, computed from its datetimes) are spliced.
- Every dialect difference lives in this module: the table source, time buckets in a zone, exact
  quantiles, casts, inline tables given as parallel arrays (``unnest``), epoch seconds, and the hours and
  list functions of the rollups (``pieces_sql``, ``days_sql``, ``peers_sql`` in ``catalog.rollups``: one
  SQL text per table that DuckDB runs in the refresher and Trino in an ``INSERT``,
  ``analytics.rollup_engine``). ``TrinoEngine.run`` runs the only statements that write: the rollups'
  ``INSERT`` and ``DELETE`` (``catalog.rollups.watermark``). Quantiles are exact and interpolated on both
  (DuckDB ``quantile_cont``; Trino sorts the group's values and interpolates alike, because its
  ``approx_percentile`` answers a value within about 1% of the rank, not the same number). Only type names
  of ``ColumnType`` and the code's own column names are spliced by ``unnest``.
- Timestamps leave both adapters as UTC datetimes; floating-point sums may differ in the last bits
  (summation order), nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol, get_args
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import trino

# DuckDB's reading of Iceberg data files; the row's file and position are for callers that need them.
READ_OPTIONS = "filename = true, file_row_number = true, hive_partitioning = false, union_by_name = true"
# Whitelisted bucket widths: the only values spliced into SQL text, and never from the caller verbatim.
BUCKETS: dict[str, str] = {
    "1m": "INTERVAL 1 MINUTE",
    "5m": "INTERVAL 5 MINUTE",
    "15m": "INTERVAL 15 MINUTE",
    "1h": "INTERVAL 1 HOUR",
    "6h": "INTERVAL 6 HOUR",
    "1d": "INTERVAL 1 DAY",
    "7d": "INTERVAL 7 DAY",
}
BUCKET_SECONDS = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "6h": 21600, "1d": 86400, "7d": 604800}
# DuckDB's buckets of a series' window are worked out once per slot of at most this many seconds (quarter
# hours: the finest step of zone offsets in use), for windows of at most MAX_SLOTS slots (three time_bucket
# calls each, a few milliseconds; a longer window buckets row by row).
SLOT_SECONDS = 900
MAX_SLOTS = 10_000
# DuckDB's approximate quantiles: the exact quantile (nearest rank) of a uniform sample of this many values
# of the group, all of them in a smaller group. Rank error's standard deviation sqrt(q(1-q)/RESERVOIR):
# 0.78 % for the median, 0.34 % for p95.
RESERVOIR = 4096
# The column types of inline tables and casts (``SqlEngine.unnest``, ``cast``): names of the platform's own,
# spelt by each adapter.
ColumnType = Literal["varchar", "double", "timestamptz"]


class SqlEngine(Protocol):
    """Runs the analytics SQL of ``catalog.query`` on one engine; blocking, safe to call from threads."""

    name: str

    def source(self, table: tuple[str, ...], snapshot_id: int, files: list[str]) -> tuple[str, list[Any]]:
        """The FROM item reading ``table`` at ``snapshot_id`` (whose planned data files are ``files``), and
        its parameters."""
        ...

    def bucket(self, width: str, window: tuple[datetime, datetime] | None = None) -> tuple[str, int]:
        """An expression of the start of ``ts``'s bucket of ``width`` in a time zone given as parameter(s),
        and how many times the zone is to be passed; ``window``, the [start, end) the rows are filtered to,
        lets an engine work out the buckets once for the window instead of once per row."""
        ...

    def quantile(self, column: str, fraction: float) -> str:
        """The exact, linearly interpolated ``fraction`` quantile of ``column``'s non-null values."""
        ...

    def approx_quantiles(self, column: str, fractions: Sequence[float]) -> list[str]:
        """Approximate ``fractions`` quantiles of ``column`` (``quantiles=approx`` of the API), one expression
        each; the error each engine's method allows is stated in docs/analytics.md."""
        ...

    def cast(self, expression: str, kind: ColumnType) -> str:
        """``expression`` (a ``?`` parameter, say) as a value of ``kind``."""
        ...

    def unnest(self, columns: Sequence[tuple[str, ColumnType]]) -> str:
        """A SELECT of a table whose columns arrive as parallel arrays, one ``?`` parameter per column in
        order (row i holds the i-th element of each)."""
        ...

    def epoch(self, expression: str) -> str:
        """Seconds since 1970-01-01 UTC of a timestamp with time zone, as a double (microseconds kept)."""
        ...

    # The hours and list functions of the rollups (``catalog.rollups``): one SQL text per table, each
    # engine's spelling of them.
    def hour_key(self, ts: str) -> str:
        """A grouping key of ``ts``'s UTC hour, the cheapest the engine has."""
        ...

    def hour_start(self, key: str) -> str:
        """The start of the hour of a ``hour_key``, as a timestamp with time zone (UTC)."""
        ...

    def ordered_list(self, value: str, order: str, where: str) -> str:
        """The aggregate list of ``value`` of the group's rows passing ``where`` in the order of ``order``
        (NULL: none passes)."""
        ...

    def element(self, array: str, index: str) -> str:
        """The ``index``-th element of ``array`` from 1, from the end if negative; NULL beyond either end
        (never index 0)."""
        ...

    def length(self, array: str) -> str: ...

    def pairwise_sum(self, array: str, step: str) -> str:
        """The sum over each element of ``array`` after the first of ``step`` (a template of ``{value}``
        and ``{prev}``, the element before it), 0 when there is none, as a double."""
        ...

    def record(self, fields: Sequence[tuple[str, str, ColumnType]]) -> str:
        """A structured value of (name, expression, type) fields, each read back as ``<value>.<name>``."""
        ...

    def ordinals(self, relation: str, array: str, where: str) -> str:
        """A FROM item: the rows of ``relation`` passing ``where``, each once per position ``i`` of
        ``array`` (from 1)."""
        ...

    def rows(self, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]: ...

    def batches(
        self, sql: str, params: Sequence[Any], schema: pa.Schema, batch_rows: int
    ) -> Iterator[pa.RecordBatch]:
        """The result as lazy Arrow batches of ``schema``; the query ends when they are exhausted."""
        ...

    def close(self) -> None: ...


class DuckDbEngine:
    """The process's DuckDB database (``catalog.duck``) reading the planned data files."""

    name = "duckdb"

    def __init__(self, cursor: Callable[[], duckdb.DuckDBPyConnection]) -> None:
        self._cursor = cursor

    def source(self, table: tuple[str, ...], snapshot_id: int, files: list[str]) -> tuple[str, list[Any]]:
        return f"read_parquet(?, {READ_OPTIONS})", [files]

    def bucket(self, width: str, window: tuple[datetime, datetime] | None = None) -> tuple[str, int]:
        exact = f"time_bucket({BUCKETS[width]}, ts, ?)"
        if window is None:
            return exact, 1
        # time_bucket in a zone converts every row through ICU (a quarter of a raw series' CPU). A bucket's
        # bounds are whole slots of the window (zone offsets and their changes fall on quarter hours), so
        # the bucket of each slot is worked out once (an uncorrelated subquery) in a list indexed by the
        # row's slot, integer arithmetic. A slot whose first and last microsecond fall in different buckets
        # (a zone that breaks the rule) or a row outside the list gets NULL there and time_bucket of its own:
        # the answer is time_bucket's in every case.
        slot = min(BUCKET_SECONDS[width], SLOT_SECONDS) * 1_000_000
        first = _epoch_us(window[0]) // slot
        count = -(-_epoch_us(window[1]) // slot) - first
        if first < 0 or not 0 < count <= MAX_SLOTS:  # DuckDB's // truncates: no slots before 1970
            return exact, 1
        start = f"time_bucket({BUCKETS[width]}, make_timestamptz(s * {slot}), ?)"
        last = f"time_bucket({BUCKETS[width]}, make_timestamptz(s * {slot} + {slot - 1}), ?)"
        buckets = (
            f"(SELECT list_transform(range({first}, {first + count}), "
            f"s -> CASE WHEN {start} = {last} THEN {start} END))"
        )
        # index 0 is NULL in DuckDB, and a negative one would count from the end
        index = f"greatest(epoch_us(ts) // {slot} - {first - 1}, 0)"
        return f"coalesce({buckets}[{index}], {exact})", 4

    def quantile(self, column: str, fraction: float) -> str:
        return f"quantile_cont({column}, {float(fraction)!r})"

    def approx_quantiles(self, column: str, fractions: Sequence[float]) -> list[str]:
        # One uniform sample of up to RESERVOIR values per group for all fractions (the same aggregate
        # written twice is computed once): as cheap as a mean, where the exact quantiles sort every value.
        listed = ", ".join(repr(float(f)) for f in fractions)
        return [
            f"reservoir_quantile({column}, [{listed}], {RESERVOIR})[{i}]"
            for i in range(1, len(fractions) + 1)
        ]

    def cast(self, expression: str, kind: ColumnType) -> str:
        return f"CAST({expression} AS {_DUCKDB_TYPES[kind]})"

    def unnest(self, columns: Sequence[tuple[str, ColumnType]]) -> str:
        # unnest in one SELECT list zips the lists
        arrays = (f"unnest(?::{_DUCKDB_TYPES[kind]}[]) AS {name}" for name, kind in columns)
        return "SELECT " + ", ".join(arrays)

    def epoch(self, expression: str) -> str:
        return f"epoch({expression})"

    def hour_key(self, ts: str) -> str:
        # an integer: timestamps are made only after the aggregation (a cast per group, not per reading)
        return f"epoch_us({ts}) // 3600000000"

    def hour_start(self, key: str) -> str:
        return f"to_timestamp({key} * 3600)"

    def ordered_list(self, value: str, order: str, where: str) -> str:
        return f"list({value} ORDER BY {order}) FILTER (WHERE {where})"

    def element(self, array: str, index: str) -> str:
        return f"{array}[{index}]"

    def length(self, array: str) -> str:
        return f"len({array})"

    def pairwise_sum(self, array: str, step: str) -> str:
        pair = step.format(value=f"{array}[i]", prev=f"{array}[i - 1]")
        return f"coalesce(list_sum(list_transform(range(2, len({array}) + 1), i -> {pair})), 0)::DOUBLE"

    def record(self, fields: Sequence[tuple[str, str, ColumnType]]) -> str:
        return "{" + ", ".join(f"'{name}': {expression}" for name, expression, _ in fields) + "}"

    def ordinals(self, relation: str, array: str, where: str) -> str:
        # unnest in the SELECT list: a lateral join of it was ~1.4x slower over the rollups' pieces
        positions = f"unnest(range(1, len({array}) + 1)) AS i"
        return f"(SELECT *, {positions} FROM {relation} WHERE {where}) AS positioned"

    def rows(self, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        cursor = self._cursor()
        try:
            rows: list[dict[str, Any]] = cursor.execute(sql, list(params)).to_arrow_table().to_pylist()
            return rows
        finally:
            cursor.close()

    def batches(
        self, sql: str, params: Sequence[Any], schema: pa.Schema, batch_rows: int
    ) -> Iterator[pa.RecordBatch]:
        cursor = self._cursor()
        try:
            reader = cursor.execute(sql, list(params)).to_arrow_reader(batch_rows)
        except BaseException:
            cursor.close()
            raise

        def batches() -> Iterator[pa.RecordBatch]:
            try:
                for batch in reader:
                    yield batch.cast(schema)
            finally:
                cursor.close()

        return batches()

    def close(self) -> None:
        """The database belongs to the query engine, which closes it."""


_DUCKDB_TYPES: dict[str, str] = {"varchar": "VARCHAR", "double": "DOUBLE", "timestamptz": "TIMESTAMPTZ"}
_TRINO_TYPES: dict[str, str] = {
    "varchar": "varchar",
    "double": "double",
    "timestamptz": "timestamp(6) with time zone",  # the readings' precision (Trino's default is 3)
}
assert _DUCKDB_TYPES.keys() == _TRINO_TYPES.keys() == set(get_args(ColumnType))


# Trino: the start of a bucket in the zone's wall-clock time, as DuckDB's time_bucket (origin Monday
# 2000-01-03, so weeks start on Monday). `at_timezone` takes the zone as a value (`AT TIME ZONE` wants a
# literal); widths that are not a calendar unit truncate to the unit below and step back.
_LOCAL = "at_timezone(ts, ?)"
_TRINO_BUCKETS: dict[str, tuple[str, int]] = {
    "1m": (f"date_trunc('minute', {_LOCAL})", 1),
    "5m": (f"date_add('minute', -(minute({_LOCAL}) % 5), date_trunc('minute', {_LOCAL}))", 2),
    "15m": (f"date_add('minute', -(minute({_LOCAL}) % 15), date_trunc('minute', {_LOCAL}))", 2),
    "1h": (f"date_trunc('hour', {_LOCAL})", 1),
    "6h": (f"date_add('hour', -(hour({_LOCAL}) % 6), date_trunc('hour', {_LOCAL}))", 2),
    "1d": (f"date_trunc('day', {_LOCAL})", 1),
    "7d": (f"date_trunc('week', {_LOCAL})", 1),
}
assert _TRINO_BUCKETS.keys() == BUCKETS.keys()
_UTC = ZoneInfo("UTC")  # the client writes a datetime parameter with its zone's key: an IANA name


class TrinoEngine:
    """A Trino server's Iceberg catalog over the lake (``trino`` client; a connection per query)."""

    name = "trino"

    def __init__(self, url: str, catalog: str, *, user: str = "smartmfg") -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"the Trino URL must be http(s)://host:port, not {url!r}")
        self.url = url
        self.catalog = catalog
        self._connect: dict[str, Any] = {
            "host": parsed.hostname,
            "port": parsed.port or (443 if parsed.scheme == "https" else 80),
            "http_scheme": parsed.scheme,
            "user": user,
            "catalog": catalog,
            "timezone": "UTC",
            "source": "smartmfg-analytics",
            # Trino 476 has EXECUTE IMMEDIATE: no probe of the server before every query
            "legacy_prepared_statements": False,
            # one attempt: the API answers 503 with Retry-After rather than holding the request
            "max_attempts": 1,
        }

    def source(self, table: tuple[str, ...], snapshot_id: int, files: list[str]) -> tuple[str, list[Any]]:
        return f"{self.table(table)} FOR VERSION AS OF {int(snapshot_id)}", []

    def bucket(self, width: str, window: tuple[datetime, datetime] | None = None) -> tuple[str, int]:
        return _TRINO_BUCKETS[width]

    def quantile(self, column: str, fraction: float) -> str:
        q = float(fraction)
        pos = f"{q!r} * (cardinality(s) - 1)"
        lo, hi = f"s[CAST(floor({pos}) AS bigint) + 1]", f"s[CAST(ceil({pos}) AS bigint) + 1]"
        return (
            f"transform(ARRAY[array_sort(array_agg({column}) FILTER (WHERE {column} IS NOT NULL))], "
            f"s -> {lo} + ({pos} - floor({pos})) * ({hi} - {lo}))[1]"
        )

    def approx_quantiles(self, column: str, fractions: Sequence[float]) -> list[str]:
        return [f"approx_percentile({column}, {float(f)!r})" for f in fractions]

    def cast(self, expression: str, kind: ColumnType) -> str:
        return f"CAST({expression} AS {_TRINO_TYPES[kind]})"

    def unnest(self, columns: Sequence[tuple[str, ColumnType]]) -> str:
        arrays = ", ".join(f"CAST(? AS array({_TRINO_TYPES[kind]}))" for _, kind in columns)
        return f"SELECT * FROM UNNEST({arrays}) AS t({', '.join(name for name, _ in columns)})"

    def epoch(self, expression: str) -> str:
        return f"to_unixtime({expression})"

    def hour_key(self, ts: str) -> str:
        return f"date_trunc('hour', {ts})"  # the readings' zone is UTC: a UTC hour, precision kept

    def hour_start(self, key: str) -> str:
        return key

    def ordered_list(self, value: str, order: str, where: str) -> str:
        return f"array_agg({value} ORDER BY {order}) FILTER (WHERE {where})"

    def element(self, array: str, index: str) -> str:
        return f"element_at({array}, {index})"

    def length(self, array: str) -> str:
        return f"cardinality({array})"

    def pairwise_sum(self, array: str, step: str) -> str:
        # each element with the one before it: the array from its second element zipped with the array
        # without its last, then summed left to right
        pair = step.format(value="v", prev="p")
        n = f"cardinality({array})"
        return (
            f"reduce(zip_with(slice({array}, 2, {n}), slice({array}, 1, {n} - 1), (v, p) -> {pair}), "
            "0e0, (s, x) -> s + x, s -> s)"
        )

    def record(self, fields: Sequence[tuple[str, str, ColumnType]]) -> str:
        values = ", ".join(expression for _, expression, _ in fields)
        types = ", ".join(f"{name} {_TRINO_TYPES[kind]}" for name, _, kind in fields)
        return f"CAST(ROW({values}) AS ROW({types}))"

    def ordinals(self, relation: str, array: str, where: str) -> str:
        positions = f"UNNEST(sequence(1, cardinality({array}))) AS positions(i)"
        return f"(SELECT * FROM {relation} CROSS JOIN {positions} WHERE {where}) AS positioned"

    def table(self, table: tuple[str, ...]) -> str:
        """The qualified name of a lake table in this catalog."""
        return ".".join(_identifier(part) for part in (self.catalog, *table))

    def run(self, sql: str, params: Sequence[Any]) -> str:
        """A statement (``INSERT``, ``DELETE``) run to its end; its query id, which Trino writes into the
        summary of the Iceberg snapshot it commits (``trino_query_id``)."""
        cursor, _ = self._execute(sql, params)
        try:
            cursor.fetchall()
            return str(cursor.query_id)
        finally:
            cursor.close()

    def _execute(self, sql: str, params: Sequence[Any]) -> tuple[Any, list[str]]:
        cursor = trino.dbapi.connect(**self._connect).cursor()
        try:
            cursor.execute(sql, [_param(p) for p in params] or None)
        except trino.exceptions.TrinoConnectionError as exc:
            # an unreachable server is the lake being unreachable: the API answers 503 (OSError)
            raise ConnectionError(f"Trino at {self.url} is unreachable") from exc
        return cursor, [d[0] for d in cursor.description or ()]

    def rows(self, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        cursor, names = self._execute(sql, params)
        try:
            return [dict(zip(names, map(_value, row), strict=True)) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def batches(
        self, sql: str, params: Sequence[Any], schema: pa.Schema, batch_rows: int
    ) -> Iterator[pa.RecordBatch]:
        cursor, names = self._execute(sql, params)

        def batches() -> Iterator[pa.RecordBatch]:
            try:
                while chunk := cursor.fetchmany(batch_rows):
                    rows = [dict(zip(names, map(_value, row), strict=True)) for row in chunk]
                    yield pa.RecordBatch.from_pylist(rows, schema=schema)
            finally:
                cursor.close()

        return batches()

    def close(self) -> None:
        """Nothing held between queries."""


def _epoch_us(moment: datetime) -> int:
    """Microseconds since 1970-01-01 UTC of an aware datetime, exactly (no float)."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _param(value: Any) -> Any:
    if isinstance(value, list):
        return [_param(v) for v in value]  # an array parameter (``unnest``)
    return value.astimezone(_UTC) if isinstance(value, datetime) and value.tzinfo else value


def _value(value: Any) -> Any:
    return value.astimezone(UTC) if isinstance(value, datetime) and value.tzinfo else value
