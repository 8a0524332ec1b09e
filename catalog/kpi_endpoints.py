"""Routes of /api/v1/analytics/kpis: ISO 22400-2 KPIs of one factory, measured for evidence or as a series."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pyiceberg.table import Table

from catalog import model_roles, tenancy
from catalog.endpoints import (
    COMMON,
    FACTORY,
    EquipmentId,
    From,
    TimeZone,
    To,
    check_range,
    lake_engine,
    run_blocking,
)
from catalog.kpi_schemas import (
    EARLIEST,
    LATEST,
    BenchmarkGroup,
    KpiBenchmarks,
    KpiMeasurement,
    KpiPoint,
    KpiSeries,
    MeasureRequest,
    PeerRank,
)
from catalog.kpis import (
    BucketWidth,
    Inputs,
    Kpi,
    ModelRoles,
    UnitElements,
    buckets,
    by_equipment,
    by_factory,
    by_factory_model,
    daily_aligned,
    day_condition,
    everything,
    inputs_by,
    joined,
    measure,
    measure_daily,
    measure_peers,
    model_versions,
    role_filter,
    whole_days_within,
)
from catalog.lake import snapshot_property
from catalog.lake_answers import once_per_version
from catalog.peers import MAX_SHARE, Contribution, Dimension, groups, rank, registered_smes
from catalog.query import Grant, QueryEngine, ReadingFilter, ScanPlan, Scope, SnapshotGone
from catalog.rollups import DAILY, PEERS, WATERMARK_KEY, closed_rollup
from services.kit.app_state import app_state
from services.kit.clients import bearer_token, service_client
from services.kit.contract import Declared, answers
from services.kit.errors import BadRequest, Forbidden, NotFound, field_error
from services.kit.kpi_vocabulary import HIGHER_IS_BETTER, UNIT
from services.kit.messages import Msg
from services.kit.principal import Authenticated, Principal, Role, require_roles

router = APIRouter()
KpiName = Annotated[Kpi, Query(description="the KPI", examples=["oee"])]
MAX_KPI_BUCKETS = 2000
KPI_FORBIDDEN: Declared = (
    Forbidden,
    "only the factory's organisation (and consented vendors, its gateway), agency staff of its region and "
    "admins",
)
UNREGISTERED: Declared = (NotFound, "the factory's organisation is not a registered company (agency callers)")


MIN_WIDTH = {
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(days=7),
    "month": timedelta(days=28),
}


def check_kpi_range(start: datetime, end: datetime) -> None:
    check_range(start, end)
    for name, value in (("from", start), ("to", end)):
        if not EARLIEST <= value <= LATEST:
            raise BadRequest(
                Msg(
                    "`{name}` must lie between {earliest} and {latest}",
                    name=name,
                    earliest=EARLIEST.date(),
                    latest=LATEST.date(),
                ),
                fields=[field_error(f"query.{name}", Msg("out of the supported range"))],
            )


async def kpi_scope(request: Request, engine: QueryEngine, principal: Principal, factory_id: str) -> Scope:
    """Raw-reading tenancy, plus agency reviewers for factories of the regions they are scoped to (they
    verify records: they see the factory's KPIs, never its raw rows)."""
    if Role.AGENCY in principal.roles and not principal.is_admin:
        owners = await run_blocking(engine.owners, [factory_id])
        for org_id in sorted(owners.get(factory_id, frozenset())):
            company = await service_client(request).get_json("companies", f"/{org_id}")
            if principal.covers_region(company.get("region_code")):
                return [Grant(factory_id, org_id)]
        raise Forbidden(
            Msg("factory '{factory_id}' is not in a region this agency account covers", factory_id=factory_id)
        )
    return await tenancy.scope_for(request, engine, principal, [factory_id])


@dataclass(frozen=True)
class Measured:
    inputs: dict[tuple[datetime, Any], Inputs]
    plan: ScanPlan
    readings_used: int
    models: list[ModelRoles]
    source: Literal["readings", "rollups"]
    snapshot_id: int | None  # of the readings (a rollup's watermark)


async def measure_cuts(
    request: Request,
    engine: QueryEngine,
    scope: Scope,
    factory_ids: tuple[str, ...],
    cuts: list[tuple[datetime, datetime]],
    *,
    snapshot_id: int | None = None,
    equipment_id: str | None = None,
    ideal_cycle_times: dict[str, float] | None = None,
    group: Callable[[str, str, UnitElements], Hashable] = everything,
    rollups_allowed: bool = True,
) -> Measured:
    """KPI inputs of some factories (none: all) in each of ``cuts``, read from one snapshot of the readings,
    or (``rollups_allowed``) from the daily rollup when the cuts are whole UTC days it holds current data of;
    ``snapshot_id`` of the answer is the readings snapshot either way."""
    if rollups_allowed and snapshot_id is None and daily_aligned(cuts):
        daily = await run_blocking(
            closed_rollup, engine.lake, cuts[-1][1].astimezone(UTC).date(), engine.manifests
        )
        if daily is not None:
            return await _measure(
                request,
                engine,
                scope,
                ReadingFilter(factory_ids=factory_ids, equipment_id=equipment_id),
                cuts,
                table=daily,
                ideal_cycle_times=ideal_cycle_times,
                group=group,
            )
    flt = role_filter(factory_ids, cuts[0][0], cuts[-1][1], equipment_id)
    table = await run_blocking(engine.lake.readings)
    return await _measure(
        request,
        engine,
        scope,
        flt,
        cuts,
        table=table,
        snapshot_id=snapshot_id,
        ideal_cycle_times=ideal_cycle_times,
        group=group,
    )


async def _measure(
    request: Request,
    engine: QueryEngine,
    scope: Scope,
    flt: ReadingFilter,
    cuts: list[tuple[datetime, datetime]],
    *,
    table: Table,
    snapshot_id: int | None = None,
    ideal_cycle_times: dict[str, float] | None,
    group: Callable[[str, str, UnitElements], Hashable],
) -> Measured:
    rollup = table.name()[-1] == DAILY.name
    condition = flt.iceberg(scope)
    if rollup:
        condition = day_condition(condition, cuts[0][0], cuts[-1][1])
    try:
        plan = await run_blocking(engine.plan, table, condition, snapshot_id)
    except SnapshotGone as exc:
        raise BadRequest(
            Msg("snapshot {snapshot_id} no longer exists", snapshot_id=snapshot_id),
            fields=[field_error("body.snapshot_id", Msg("unknown or expired snapshot"))],
        ) from exc
    pairs = await run_blocking(model_versions, engine, plan, flt, scope)
    models = await model_roles.roles(request, pairs)
    measured = await run_blocking(
        measure_daily if rollup else measure, engine, plan, flt, scope, models, cuts
    )
    return Measured(
        inputs_by(measured, models, ideal_cycle_times, group),
        plan,
        measured.readings_used,
        models,
        "rollups" if rollup else "readings",
        int(snapshot_property(table, WATERMARK_KEY)) if rollup else plan.snapshot_id,
    )


def _describe(body: MeasureRequest, snapshot_id: int, models: list[ModelRoles]) -> str:
    def period(start: datetime, end: datetime) -> str:
        return f"[{start.isoformat()}, {end.isoformat()})"

    used = " ".join(f"{m.model_id}@{m.version}(ideal_cycle_time_s={m.ideal_cycle_time_s})" for m in models)
    return (
        f"kpi={body.kpi} factory_id={body.factory_id} "
        f"baseline={period(body.baseline.start, body.baseline.end)} "
        f"after={period(body.after.start, body.after.end)} snapshot_id={snapshot_id} models={used or '-'}"
    )


async def _grouping(
    request: Request, factory_id: str, group_by: str
) -> Callable[[str, str, UnitElements], Hashable]:
    """How /kpis groups equipment; lines come from the factory's register (companies), read with the caller's
    token. Equipment without a line, or a factory not registered, falls in the group ``None``."""
    if group_by == "equipment":
        return by_equipment
    if group_by != "line":
        return everything
    try:
        factory = await service_client(request).get_json(
            "companies", f"/factories/{factory_id}", token=bearer_token(request)
        )
    except NotFound:
        factory = {}
    lines = {e["equipment_id"]: e.get("line") for e in factory.get("equipment", [])}
    return lambda _factory_id, equipment_id, _unit: lines.get(equipment_id)


@router.post(
    "/kpis/measure",
    summary="Measure one KPI of a factory before and after a project from telemetry (the factory's "
    "organisation, agency of its region, admin)",
    response_model=KpiMeasurement,
)
@answers(
    *COMMON,
    KPI_FORBIDDEN,
    (
        NotFound,
        "the lake holds no readings yet, or the factory's organisation is not a registered company (agency "
        "callers)",
    ),
)
async def measure_kpi(request: Request, principal: Authenticated, body: MeasureRequest) -> KpiMeasurement:
    """Both periods are read from the same Iceberg snapshot of the readings (the current one, or
    `snapshot_id`): sending the answer's `snapshot_id` again gives the same figures."""
    engine = await lake_engine(request)
    scope = await kpi_scope(request, engine, principal, body.factory_id)
    values: list[float | None] = []
    snapshot_id, rows, readings = body.snapshot_id, 0, 0
    models: dict[tuple[str, str], ModelRoles] = {}
    for period in (body.baseline, body.after):
        cuts = [(period.start, period.end)]
        # evidence reads the readings themselves: its snapshot id must take a re-run to the same rows
        got = await measure_cuts(
            request, engine, scope, (body.factory_id,), cuts, snapshot_id=snapshot_id, rollups_allowed=False
        )
        if got.snapshot_id is None:
            raise NotFound(Msg("the lake holds no readings yet"))
        snapshot_id = got.snapshot_id
        rows += got.plan.rows_in_files
        readings += got.readings_used
        models |= {(m.model_id, m.version): m for m in got.models}
        total = Inputs()
        for inputs in got.inputs.values():
            total.add(inputs)
        hours = (period.end - period.start).total_seconds() / 3600
        values.append(total.kpi(body.kpi, hours))
    assert snapshot_id is not None
    return KpiMeasurement(
        kpi=body.kpi,
        unit=UNIT[body.kpi],
        before=values[0],
        after=values[1],
        snapshot_id=snapshot_id,
        query=_describe(body, snapshot_id, sorted(models.values(), key=lambda m: (m.model_id, m.version))),
        rows_used=rows,
        readings_used=readings,
    )


@router.get(
    "/kpis",
    summary="Every ISO 22400-2 KPI of one factory (or each of its equipment) per hour, day, week or month "
    "(the factory's organisation, agency of its region, admin)",
    response_model=KpiSeries,
)
@answers(*COMMON, KPI_FORBIDDEN, UNREGISTERED)
async def kpi_series(
    request: Request,
    principal: Authenticated,
    factory_id: Annotated[str, Query(pattern=FACTORY, examples=["factory-sme-1-a"])],
    start: From,
    to: To,
    bucket: Annotated[
        BucketWidth | Literal["all"],
        Query(description="bucket width in `tz`; `all`: one figure for the range"),
    ] = "day",
    tz: TimeZone = "UTC",
    equipment_id: EquipmentId = None,
    group_by: Annotated[
        Literal["factory", "equipment", "line"],
        Query(
            description="one series per factory, per equipment, or per production line (the `line` of each "
            "equipment in the factory's register; needs read access to it: the factory's organisation, "
            "its gateway, admin)"
        ),
    ] = "factory",
    ideal_cycle_time_s: Annotated[
        float | None,
        Query(gt=0, le=86400, description="overrides the model's ideal cycle time; requires `equipment_id`"),
    ] = None,
) -> KpiSeries:
    """Values are null where the equipment models give no item for them (e.g. no reject count: no quality).
    `inputs` holds the ISO 22400-2 elements (PBT, APT, PQ, GQ, …) so a dashboard can sum them further."""
    check_kpi_range(start, to)
    if ideal_cycle_time_s is not None and equipment_id is None:
        raise BadRequest(
            Msg(
                "`ideal_cycle_time_s` overrides one equipment's ideal cycle time: name it with `equipment_id`"
            ),
            fields=[field_error("query.ideal_cycle_time_s", Msg("requires equipment_id"))],
        )
    # checked before cutting: an hourly century would take long to cut into buckets only to be refused
    estimate = 1 if bucket == "all" else int((to - start) / MIN_WIDTH[bucket])
    if estimate > MAX_KPI_BUCKETS:
        raise BadRequest(
            Msg(
                "about {estimate} buckets of a {bucket}; at most {max_kpi_buckets}",
                estimate=estimate,
                bucket=bucket,
                max_kpi_buckets=MAX_KPI_BUCKETS,
            ),
            fields=[
                field_error(
                    "query.bucket",
                    Msg(
                        "too fine for the range: at most {max_kpi_buckets} buckets",
                        max_kpi_buckets=MAX_KPI_BUCKETS,
                    ),
                )
            ],
        )
    cuts = buckets(start, to, None if bucket == "all" else bucket, tz)
    engine = await lake_engine(request)
    scope = await kpi_scope(request, engine, principal, factory_id)
    overrides = {equipment_id: ideal_cycle_time_s} if equipment_id and ideal_cycle_time_s else None
    got = await measure_cuts(
        request,
        engine,
        scope,
        (factory_id,),
        cuts,
        equipment_id=equipment_id,
        ideal_cycle_times=overrides,
        group=await _grouping(request, factory_id, group_by),
    )
    ends = dict(cuts)
    items = [
        KpiPoint(
            start=b0,
            end=ends[b0],
            equipment_id=key if group_by == "equipment" else None,
            line=key if group_by == "line" else None,
            values=inputs.kpis((ends[b0] - b0).total_seconds() / 3600),
            inputs=inputs.as_dict(),
        )
        for (b0, key), inputs in sorted(got.inputs.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
    ]
    return KpiSeries(
        factory_id=factory_id,
        bucket=bucket,
        tz=tz,
        units=UNIT,
        items=items,
        snapshot_id=got.snapshot_id,
        source=got.source,
    )


Reviewer = Annotated[Principal, require_roles(Role.SME, Role.VENDOR, Role.AGENCY)]
Dimensions = Annotated[
    list[Dimension] | None,
    Query(max_length=4, description="group by these (repeatable): region, industry, size, model"),
]


async def _contributions(
    request: Request, engine: QueryEngine, kpi: str, start: datetime, end: datetime, by_model: bool
) -> tuple[list[Contribution], str]:
    """Every factory's KPI over [start, end) (per model if ``by_model``) with its register data: from the peer
    table when it holds those days, else as any KPI is measured. Engine-internal: these values are only ever
    aggregated or compared, never returned."""
    inputs_of, owners, source = await _every_factory(request, engine, start, end, by_model)
    hours = (end - start).total_seconds() / 3600
    orgs = await registered_smes(request)
    out = []
    for (_, key), inputs in inputs_of.items():
        factory_id, model_id = key if by_model else (key, None)
        value = inputs.kpi(kpi, hours)
        if value is None:
            continue
        org = min(owners.get(factory_id, frozenset()), default=None)
        meta = orgs.get(org or "", {})
        out.append(
            Contribution(
                factory_id,
                model_id,
                value,
                inputs.readings,
                meta.get("region"),
                meta.get("industry"),
                meta.get("size"),
            )
        )
    return out, source


async def _every_factory(
    request: Request, engine: QueryEngine, start: datetime, end: datetime, by_model: bool
) -> tuple[dict[tuple[datetime, Any], Inputs], dict[str, frozenset[str]], str]:
    """Every factory's KPI inputs over [start, end) (per model if ``by_model``), the organisations its rows
    carry and where they were read. One measurement serves every KPI: a dashboard asks for three or four
    KPIs of the same period in a row (rank charts, a region's benchmarks), so it is kept once per version of
    the readings (catalog.lake_answers) and only read, never changed, by the callers."""

    async def compute() -> tuple[dict[tuple[datetime, Any], Inputs], dict[str, frozenset[str]], str]:
        group = by_factory_model if by_model else by_factory
        peered = await _peer_inputs(request, engine, start, end, group)
        if peered is not None:
            return *peered, "rollups"
        got = await measure_cuts(request, engine, None, (), [(start, end)], group=group)
        factories = sorted({key[0] if by_model else key for _, key in got.inputs})
        return got.inputs, await run_blocking(engine.owners, factories), got.source

    return await once_per_version(request, engine, "kpi-inputs", (start, end, by_model), compute)


async def _peer_inputs(
    request: Request,
    engine: QueryEngine,
    start: datetime,
    end: datetime,
    group: Callable[[str, str, UnitElements], Hashable],
) -> tuple[dict[tuple[datetime, Any], Inputs], dict[str, frozenset[str]]] | None:
    """Every factory's KPI inputs over [start, end) and the organisations its rows carry: its whole UTC days
    from the peer table (catalog.rollups.peer_daily), the parts of a day at either end (a period of days in
    Korea starts and ends at 15:00 UTC) from the readings of those hours and the day before them (the
    look-back of a single pass), joined per equipment before the inputs are derived (``kpis.joined``), so
    the figures are those of one pass over the readings. None when it cannot answer: no whole UTC day in the
    period, or a table that does not hold the readings' current data of its days."""
    days = whole_days_within(start, end)
    if days is None:
        return None
    table = await run_blocking(closed_rollup, engine.lake, days[1].date(), engine.manifests, PEERS)
    if table is None:
        return None
    flt = ReadingFilter()
    plan = await run_blocking(engine.plan, table, day_condition(flt.iceberg(None), *days))
    models = await model_roles.roles(request, await run_blocking(model_versions, engine, plan, flt, None))
    middle, owners = await run_blocking(measure_peers, engine, plan, flt, None, models, [days])
    parts = [middle]
    readings = await run_blocking(engine.lake.readings)
    for edge in ((start, days[0]), (days[1], end)):
        if edge[0] < edge[1]:
            edge_filter = role_filter((), *edge, None)
            edge_plan = await run_blocking(engine.plan, readings, edge_filter.iceberg(None))
            pairs = await run_blocking(model_versions, engine, edge_plan, edge_filter, None)
            edge_models = await model_roles.roles(request, pairs)
            models += edge_models
            got = await run_blocking(measure, engine, edge_plan, edge_filter, None, edge_models, [edge])
            parts.append(got)
    whole = joined(parts, start)
    only_at_edges = sorted({factory for _, factory, _ in whole.units} - set(owners))
    if only_at_edges:
        owners |= await run_blocking(engine.owners, only_at_edges)
    return inputs_by(whole, models, None, group), owners


@router.get(
    "/kpis/benchmarks",
    summary="Anonymous KPI benchmarks across factories by region, industry, size and model (SME, vendor, "
    "agency, admin)",
    response_model=KpiBenchmarks,
)
@answers(*COMMON)
async def kpi_benchmarks(
    request: Request, principal: Reviewer, kpi: KpiName, start: From, to: To, by: Dimensions = None
) -> KpiBenchmarks:
    """Per group, the mean (and quartiles of large groups) of the factories' KPI over the range. A group is
    published only with at least `min_group_size` factories (`SMARTMFG_MIN_GROUP_SIZE`) none of which has
    more than half its readings; the others are counted in `suppressed_groups`."""
    check_kpi_range(start, to)
    dims: list[Dimension] = list(dict.fromkeys(by or ["region", "industry"]))
    engine = await lake_engine(request)
    # every factory's inputs kept per readings version (_every_factory): grouping them is all that is left
    contributions, _ = await _contributions(request, engine, kpi, start, to, "model" in dims)
    k = app_state(request).settings.min_group_size
    shown, suppressed = groups(contributions, dims, k)
    return KpiBenchmarks(
        kpi=kpi,
        unit=UNIT[kpi],
        by=dims,
        start=start,
        end=to,
        min_group_size=k,
        max_share=MAX_SHARE,
        suppressed_groups=suppressed,
        items=[BenchmarkGroup(**g.__dict__) for g in shown],
    )


@router.get(
    "/kpis/peers",
    summary="One factory's KPI against its peers: group mean and percentile rank (the factory's "
    "organisation, agency of its region, admin)",
    response_model=PeerRank,
)
@answers(*COMMON, KPI_FORBIDDEN, UNREGISTERED)
async def kpi_peers(
    request: Request,
    principal: Authenticated,
    factory_id: Annotated[str, Query(pattern=FACTORY, examples=["factory-sme-1-a"])],
    kpi: KpiName,
    start: From,
    to: To,
    peers: Annotated[
        list[Literal["region", "industry", "size"]] | None,
        Query(
            max_length=3, description="peers share these with the factory (repeatable); none: all factories"
        ),
    ] = None,
) -> PeerRank:
    check_kpi_range(start, to)
    engine = await lake_engine(request)
    await kpi_scope(request, engine, principal, factory_id)
    dims: list[Dimension] = list(dict.fromkeys(peers or []))
    contributions, _ = await _contributions(request, engine, kpi, start, to, False)
    own = next((c for c in contributions if c.factory_id == factory_id), None)
    key = {d: own.dimension(d) for d in dims} if own else {d: None for d in dims}
    group = [c for c in contributions if own and all(c.dimension(d) == key[d] for d in dims)]
    k = app_state(request).settings.min_group_size
    found = rank(own, group, k, HIGHER_IS_BETTER[kpi])
    return PeerRank(
        factory_id=factory_id,
        kpi=kpi,
        unit=UNIT[kpi],
        peer_group=key,
        value=found.value,
        peers=found.peers,
        mean=found.mean,
        percentile_rank=found.percentile_rank,
        suppressed=found.suppressed,
        min_group_size=k,
    )
