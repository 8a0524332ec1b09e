"""Bodies of /api/v1/analytics/kpis: the evidence measurement (a contract of the deployments service) and the
KPI series of dashboards."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from catalog.kpis import BucketWidth, Kpi
from services.kit.messages import Msg
from services.kit.validation_messages import invalid

MAX_PERIOD_DAYS = 400
# Telemetry of this platform lies well inside these; outside them date arithmetic (look-back) would overflow.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


class Period(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: AwareDatetime = Field(description="inclusive, ISO 8601 with zone")
    end: AwareDatetime = Field(description="exclusive, ISO 8601 with zone")

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end <= self.start:
            raise invalid(Msg("end must be after start"))
        if (self.end - self.start).days > MAX_PERIOD_DAYS:
            raise invalid(
                Msg("a period spans at most {max_period_days} days", max_period_days=MAX_PERIOD_DAYS)
            )
        if self.start < EARLIEST or self.end > LATEST:
            raise invalid(
                Msg(
                    "a period lies between {earliest} and {latest}",
                    earliest=EARLIEST.date(),
                    latest=LATEST.date(),
                )
            )
        return self


_MEASURE_EXAMPLE: dict[str, Any] = {
    "factory_id": "factory-sme-1-a",
    "kpi": "oee",
    "baseline": {"start": "2025-10-01T00:00:00+09:00", "end": "2025-10-15T00:00:00+09:00"},
    "after": {"start": "2025-10-16T00:00:00+09:00", "end": "2025-10-31T00:00:00+09:00"},
    "snapshot_id": None,
}


class MeasureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_MEASURE_EXAMPLE]})

    factory_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,63}$")
    kpi: Kpi
    baseline: Period = Field(description="the period before the project")
    after: Period = Field(description="the period after go-live")
    snapshot_id: int | None = Field(
        default=None, description="read the readings table as of this snapshot (null: the current one)"
    )


class KpiMeasurement(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kpi": "oee",
                    "unit": "%",
                    "before": 52.4,
                    "after": 61.9,
                    "snapshot_id": 3_190_557_228_843_119_005,
                    "query": "kpi=oee factory_id=factory-sme-1-a baseline=[2025-09-30T15:00:00+00:00, "
                    "2025-10-14T15:00:00+00:00) after=[…) snapshot_id=3190557228843119005 "
                    "models=cnc-lathe@1.0.0(ideal_cycle_time_s=90.0)",
                    "rows_used": 412_000,
                    "readings_used": 40_310,
                }
            ]
        }
    )

    kpi: Kpi
    unit: str
    before: float | None = Field(description="the KPI over the baseline (null: no data defines it)")
    after: float | None = Field(description="the KPI over the after period")
    snapshot_id: int = Field(description="the readings snapshot measured: pass it again for the same answer")
    query: str = Field(description="what was computed, precisely enough to run it again")
    rows_used: int = Field(description="rows in the data files read for both periods")
    readings_used: int = Field(description="readings of KPI-role items that entered the figures")


class KpiPoint(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "start": "2025-11-01T00:00:00Z",
                    "end": "2025-11-02T00:00:00Z",
                    "equipment_id": None,
                    "values": {"oee": 61.2, "availability": 78.0, "performance": 84.1, "quality": 93.3},
                    "inputs": {"pbt_s": 259200.0, "apt_s": 202176.0, "pq": 1890.0, "readings": 4812},
                }
            ]
        }
    )

    start: datetime
    end: datetime
    equipment_id: str | None = Field(default=None, description="set when group_by=equipment")
    line: str | None = Field(
        default=None, description="set when group_by=line (null: the equipment without a line)"
    )
    values: dict[str, float | None] = Field(description="every KPI (units in `units`); null: undefined")
    inputs: dict[str, float | int] = Field(description="the ISO 22400-2 elements the values come from")


class KpiSeries(BaseModel):
    factory_id: str
    bucket: BucketWidth | Literal["all"]
    tz: str
    units: dict[str, str]
    items: list[KpiPoint]
    snapshot_id: int | None
    source: Literal["readings", "rollups"] = Field(
        description="computed from raw readings or from the daily rollup table"
    )


class BenchmarkGroup(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "key": {"region": "48", "industry": "C29"},
                    "factories": 7,
                    "readings": 1_204_331,
                    "mean": 71.4,
                    "p25": 66.0,
                    "median": 72.3,
                    "p75": 77.9,
                }
            ]
        }
    )

    key: dict[str, str | None] = Field(
        description="the group: region (시·도 code), industry (KSIC), size, model"
    )
    factories: int = Field(description="factories in the group (never below min_group_size)")
    readings: int
    mean: float
    p25: float | None = Field(description="null for groups smaller than twice min_group_size")
    median: float | None
    p75: float | None


class KpiBenchmarks(BaseModel):
    kpi: Kpi
    unit: str
    by: list[str]
    start: datetime
    end: datetime
    min_group_size: int
    max_share: float = Field(description="a group where one factory has more of the readings is suppressed")
    suppressed_groups: int = Field(description="groups left out: too few factories, or one dominates")
    items: list[BenchmarkGroup]


class PeerRank(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "factory_id": "factory-sme-1-a",
                    "kpi": "oee",
                    "unit": "%",
                    "peer_group": {"industry": "C29"},
                    "value": 74.2,
                    "peers": 9,
                    "mean": 70.8,
                    "percentile_rank": 62.5,
                    "suppressed": False,
                    "min_group_size": 3,
                }
            ]
        }
    )

    factory_id: str
    kpi: Kpi
    unit: str
    peer_group: dict[str, str | None]
    value: float | None = Field(description="the factory's own KPI")
    peers: int = Field(description="factories in the peer group, this one included")
    mean: float | None = Field(description="the group's mean (null: suppressed)")
    percentile_rank: float | None = Field(
        description="share of the other factories doing worse, ties counting half, in % (null: suppressed)"
    )
    suppressed: bool
    min_group_size: int
