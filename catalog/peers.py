"""Disclosure control of cross-factory figures: KPI benchmarks across factories (region × industry × size ×
model), one factory's rank among its peers, and which time buckets of a reading benchmark may be shown.

It happens here, before anything leaves the engine. Reading benchmarks (``/analytics/benchmarks``): a
bucket is shown only when at least ``min_group_size`` distinct factories contribute to it (``disclosed``),
whether the engine computed it from the readings or it was combined here from each factory's hourly-rollup
statistics (``from_factory_buckets``); the others are only counted.

KPIs: a group is published only when at least ``min_factories`` distinct factories contribute a value and
no factory contributes more than ``MAX_SHARE`` of the group's readings; other groups are only counted.
Published figures are aggregates: the mean, and the interpolated quartiles only for groups of at least twice
the minimum (a quartile of a small group is one factory's own value). A peer rank answers with the
caller's own value, the peer group's size and mean and a percentile rank: never another factory's value.

Region (시·도), industry (KSIC) and size come from the companies service's public register, keyed by the
organisation that owns the factory's readings (the ``org_id`` of its rows).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Request

from services.kit.cache import PUBLIC, Key, caches
from services.kit.clients import service_client

Dimension = Literal["region", "industry", "size", "model"]
DIMENSIONS: tuple[Dimension, ...] = ("region", "industry", "size", "model")
MAX_SHARE = 0.5  # a group where one factory has more than half the readings is that factory's figure
DIRECTORY_TTL_S = 300.0
PAGE = 200


def size_class(employees: int | None) -> str | None:
    """중소기업기본법 bands by employees: small (소기업, < 50), medium (중기업, < 300), large."""
    if employees is None:
        return None
    return "small" if employees < 50 else "medium" if employees < 300 else "large"


@dataclass(frozen=True)
class Contribution:
    """One factory's KPI (for one model, when benchmarks are by model) and the readings behind it."""

    factory_id: str
    model_id: str | None
    value: float
    readings: int
    region: str | None
    industry: str | None
    size: str | None

    def dimension(self, name: Dimension) -> str | None:
        return {"region": self.region, "industry": self.industry, "size": self.size, "model": self.model_id}[
            name
        ]


@dataclass(frozen=True)
class Group:
    key: dict[str, str | None]
    factories: int
    readings: int
    mean: float
    p25: float | None
    median: float | None
    p75: float | None


def publishable(members: Sequence[Contribution], min_factories: int) -> bool:
    factories: dict[str, int] = {}
    for m in members:
        factories[m.factory_id] = factories.get(m.factory_id, 0) + m.readings
    total = sum(factories.values())
    return len(factories) >= min_factories and total > 0 and max(factories.values()) <= MAX_SHARE * total


def groups(
    contributions: Iterable[Contribution], by: Sequence[Dimension], min_factories: int
) -> tuple[list[Group], int]:
    """Published groups (sorted by key) and the number suppressed."""
    members: dict[tuple[str | None, ...], list[Contribution]] = {}
    for c in contributions:
        members.setdefault(tuple(c.dimension(d) for d in by), []).append(c)
    shown, suppressed = [], 0
    for key in sorted(members, key=lambda k: tuple(v or "" for v in k)):
        group = members[key]
        if not publishable(group, min_factories):
            suppressed += 1
            continue
        values = sorted(c.value for c in group)
        quartiles = (
            statistics.quantiles(values, n=4, method="inclusive")
            if len(values) >= 2 * min_factories
            else None
        )
        shown.append(
            Group(
                key=dict(zip(by, key, strict=True)),
                factories=len({c.factory_id for c in group}),
                readings=sum(c.readings for c in group),
                mean=round(statistics.fmean(values), 6),
                p25=round(quartiles[0], 6) if quartiles else None,
                median=round(quartiles[1], 6) if quartiles else None,
                p75=round(quartiles[2], 6) if quartiles else None,
            )
        )
    return shown, suppressed


@dataclass(frozen=True)
class Rank:
    value: float | None
    peers: int  # factories in the group, the factory itself included
    mean: float | None
    percentile_rank: float | None  # share of the other factories below (ties count half), in %
    suppressed: bool


def rank(
    own: Contribution | None, peers: Sequence[Contribution], min_factories: int, higher_is_better: bool
) -> Rank:
    """Where ``own`` stands among ``peers`` (the group it belongs to, itself included)."""
    value = own.value if own else None
    if own is None or not publishable(peers, min_factories):
        return Rank(value, len({p.factory_id for p in peers}), None, None, True)
    others = [p.value for p in peers if p.factory_id != own.factory_id]
    worse = sum(1 for v in others if (v < own.value if higher_is_better else v > own.value))
    ties = sum(1 for v in others if v == own.value)
    return Rank(
        value,
        len({p.factory_id for p in peers}),
        round(statistics.fmean(p.value for p in peers), 6),
        round(100.0 * (worse + 0.5 * ties) / len(others), 2) if others else None,
        False,
    )


def disclosed(buckets: Sequence[dict[str, Any]], min_factories: int) -> tuple[list[dict[str, Any]], int]:
    """The buckets of a reading benchmark (each with its ``factories``) that may be shown, and how many may
    not."""
    shown = [b for b in buckets if b["factories"] >= min_factories]
    return shown, len(buckets) - len(shown)


def from_factory_buckets(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per bucket, in bucket order: the factories, readings and mean of all readings, from one row per
    factory and bucket (``factory_id``, ``bucket``, ``readings``, ``mean``: the hourly rollup's statistics).
    The mean is weighted by readings, as a mean over the readings themselves would be."""
    combined: dict[Any, tuple[set[str], int, float]] = {}
    for row in rows:
        factories, readings, total = combined.get(row["bucket"], (set(), 0, 0.0))
        factories.add(row["factory_id"])
        total += row["mean"] * row["readings"]  # the bucket's sum, as the rollup holds it
        combined[row["bucket"]] = (factories, readings + row["readings"], total)
    return [
        {"bucket": bucket, "factories": len(factories), "readings": readings, "mean": total / readings}
        for bucket, (factories, readings, total) in sorted(combined.items())
        if readings
    ]


def _register_key() -> Key:
    """The one key of the SME register: read without a token, so what the public sees."""
    return Key("companies.sme-register", PUBLIC, None)


async def registered_smes(request: Request) -> dict[str, dict[str, Any]]:
    """The public register of SMEs (region, industry, size class) by organisation id, read again after
    ``DIRECTORY_TTL_S`` seconds (the process's reference cache)."""
    cache = caches(request).reference
    found: dict[str, dict[str, Any]] | None = cache.get(_register_key())
    if found is not None:
        return found
    found = {}
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"kind": "sme", "limit": PAGE} | ({"cursor": cursor} if cursor else {})
        page = await service_client(request).get_json("companies", "", params=params)
        for company in page["items"]:
            found[company["id"]] = {
                "region": company.get("region_code"),
                "industry": company.get("industry_code"),
                "size": size_class(company.get("employees")),
            }
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return cache.put(_register_key(), found, ttl_s=DIRECTORY_TTL_S)
