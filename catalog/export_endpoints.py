"""Routes of /api/v1/analytics/export: a factory's own readings and KPIs as CSV or Parquet, streamed.

Readings go from DuckDB to the client batch by batch (``to_arrow_reader``): neither the query result nor
the file is ever whole in memory. The generator is synchronous, so Starlette iterates it in a worker thread,
off the event loop. A Parquet file's footer comes last: a client that stops reading early gets a truncated
file, which every Parquet reader refuses rather than misreads.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import Annotated, Literal

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from catalog import tenancy
from catalog.endpoints import COMMON, FACTORY, FORBIDDEN, From, To, lake_engine, run_blocking
from catalog.kpi_endpoints import KPI_FORBIDDEN, UNREGISTERED, check_kpi_range, kpi_series
from catalog.kpis import BucketWidth
from catalog.query import ReadingFilter
from services.kit.contract import answers
from services.kit.errors import BadRequest, field_error
from services.kit.messages import Msg
from services.kit.principal import Authenticated

router = APIRouter()
BATCH_ROWS = 50_000
MAX_EXPORT_DAYS = 400
Format = Literal["csv", "parquet"]
MEDIA = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}
EXPORTED: dict[int | str, dict[str, object]] = {
    200: {
        "description": "the file, streamed",
        "content": {"text/csv": {}, "application/vnd.apache.parquet": {}},
    }
}


class _Drain(io.RawIOBase):
    """A write-only file whose bytes are taken out after each write: the Parquet writer's sink."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.chunks.append(bytes(data))
        self.size += len(data)
        return len(data)

    def tell(self) -> int:
        return self.size

    def take(self) -> bytes:
        out, self.chunks = b"".join(self.chunks), []
        return out


def stream_batches(batches: Iterable[pa.RecordBatch], schema: pa.Schema, fmt: Format) -> Iterator[bytes]:
    """``batches`` as CSV (with a header) or as one Parquet file, a chunk per batch."""
    if fmt == "csv":
        sink = io.BytesIO()
        with pacsv.CSVWriter(sink, schema) as writer:
            for batch in batches:
                writer.write_batch(batch)
                yield sink.getvalue()
                sink.seek(0)
                sink.truncate()
        if sink.getvalue():
            yield sink.getvalue()
        return
    drain = _Drain()
    with pq.ParquetWriter(drain, schema, compression="zstd") as parquet:
        for batch in batches:
            parquet.write_batch(batch)
            yield drain.take()
    yield drain.take()


def _filename(factory_id: str, what: str, fmt: Format) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{factory_id}-{what}.{fmt}"'}


@router.get(
    "/export/readings",
    summary="Export a factory's own readings as CSV or Parquet, streamed (its organisation, consented "
    "vendors, its gateway, admin)",
    response_class=StreamingResponse,
    responses=EXPORTED,
)
@answers(*COMMON, FORBIDDEN)
async def export_readings(
    request: Request,
    principal: Authenticated,
    factory_id: Annotated[str, Query(pattern=FACTORY, examples=["factory-sme-1-a"])],
    start: From,
    to: To,
    format: Annotated[Format, Query(description="csv or parquet")] = "csv",
) -> StreamingResponse:
    check_kpi_range(start, to)
    if (to - start).days > MAX_EXPORT_DAYS:
        raise BadRequest(
            Msg("export at most {max_export_days} days at a time", max_export_days=MAX_EXPORT_DAYS),
            fields=[
                field_error(
                    "query.to",
                    Msg("at most {max_export_days} days after `from`", max_export_days=MAX_EXPORT_DAYS),
                )
            ],
        )
    engine = await lake_engine(request)
    scope = await tenancy.scope_for(request, engine, principal, [factory_id])
    flt = ReadingFilter(factory_ids=(factory_id,), start=start, end=to)
    schema, batches, _ = await run_blocking(engine.reading_batches, flt, scope, BATCH_ROWS)
    return StreamingResponse(
        stream_batches(batches, schema, format),
        media_type=MEDIA[format],
        headers=_filename(factory_id, "readings", format),
    )


@router.get(
    "/export/kpis",
    summary="Export a factory's KPI series as CSV or Parquet (its organisation, agency of its region, admin)",
    response_class=StreamingResponse,
    responses=EXPORTED,
)
@answers(*COMMON, KPI_FORBIDDEN, UNREGISTERED)
async def export_kpis(
    request: Request,
    principal: Authenticated,
    factory_id: Annotated[str, Query(pattern=FACTORY, examples=["factory-sme-1-a"])],
    start: From,
    to: To,
    bucket: Annotated[BucketWidth, Query(description="hour, day, week or month (UTC)")] = "day",
    format: Annotated[Format, Query(description="csv or parquet")] = "csv",
) -> StreamingResponse:
    """One row per bucket: its start and end, every KPI and the ISO 22400-2 elements behind them."""
    series = await kpi_series(request, principal, factory_id, start, to, bucket=bucket)
    rows = [{"start": p.start, "end": p.end, **p.values, **p.inputs} for p in series.items]
    table = (
        pa.Table.from_pylist(rows) if rows else pa.table({"start": pa.array([], pa.timestamp("us", "UTC"))})
    )
    return StreamingResponse(
        stream_batches(table.to_batches(), table.schema, format),
        media_type=MEDIA[format],
        headers=_filename(factory_id, "kpis", format),
    )
