"""The demo's shared dataset: a week of reflow-oven zone temperatures with injected anomalies, labelled.

The demo telemetry (``demo_telemetry``) has no anomalies to learn; this module injects some,
deterministically: for each reflow oven of the Daegu-Gyeongbuk AI centre's regions (the only centre with at
least ``min_group_size`` equipment of one model among the demo's telemetry factories), ``WINDOWS`` spells of
``SPELL_MINUTES`` minutes in which the oven reads a spike every half minute (between the one-minute samples,
so no demo reading is replaced). The spikes are written in one snapshot marked ``MARK`` (carrying the bus
offsets unchanged, as the demo telemetry does), so they are in the lake once or not at all. The centre then
publishes the week as a dataset through the API, the injected spells as its labels: a rerun finds the dataset
by its title and does nothing.
"""

from __future__ import annotations

import json
import zlib
from datetime import timedelta
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
from fastapi import FastAPI
from pyiceberg.exceptions import CommitFailedException

from catalog.appends import commit, offsets_property, split, table_offsets, write
from catalog.lake import READINGS_SCHEMA, Lake
from platform_api.demo_data import DemoWorld
from platform_api.demo_telemetry import START, telemetry_factories
from services.kit.app_state import state_of
from services.kit.tokens import DEV_ISSUER

MARK = "smartmfg.demo-anomalies"
MODEL = "reflow-oven"
ITEM = "zone1_temp"
CENTRE = "aic-daegyeong"
DAYS = 7
WINDOWS = 4
SPELL_MINUTES = 30
SPIKE_C = 345.0
TITLE = {
    "ko": "리플로우 오븐 1구역 온도 (이상 주입)",
    "en": "Reflow oven zone 1 temperature (injected anomalies)",
}


def ovens(world: DemoWorld) -> list[tuple[str, str, str]]:
    """(factory, organisation, equipment) of the centre's reflow ovens that send telemetry."""
    centre = next(c for c in world.regional_centres if c["id"] == CENTRE)
    regions = {c["id"]: c.get("region_code") for c in world.companies}
    return [
        (factory["id"], org, equipment["equipment_id"])
        for org, factory in telemetry_factories(world)
        if regions.get(org) in centre["regions"]
        for equipment in factory["equipment"]
        if equipment["model_id"] == MODEL
    ]


def spells(equipment_id: str) -> list[int]:
    """Start minutes (from START) of an oven's anomalous spells: one in each part of the week, seeded."""
    rng = np.random.default_rng(zlib.crc32(f"anomaly/{equipment_id}".encode()))
    part = DAYS * 24 * 60 // WINDOWS
    return [i * part + int(rng.integers(60, part - SPELL_MINUTES - 60)) for i in range(WINDOWS)]


def _spikes(factory_id: str, org_id: str, equipment_id: str) -> pa.Table:
    rows: list[dict[str, Any]] = []
    for start in spells(equipment_id):
        for half in range(2 * SPELL_MINUTES):
            ts = START + timedelta(minutes=start, seconds=30 * half + 30)
            rows.append(
                {
                    "factory_id": factory_id,
                    "org_id": org_id,
                    "equipment_id": equipment_id,
                    "model_id": MODEL,
                    "model_version": "1.0.0",
                    "item_id": ITEM,
                    "ts": ts,
                    "value_num": SPIKE_C,
                    "value_text": None,
                    "unit": "°C",
                    "quality": "good",
                    "batch_key": f"demo-anomalies/{factory_id}/{equipment_id}",
                    "ingested_at": ts + timedelta(seconds=2),
                }
            )
    return pa.Table.from_pylist(rows, schema=READINGS_SCHEMA)


def inject(lake: Lake, world: DemoWorld) -> int:
    """The spikes into the readings table, once; returns the rows written now."""
    table = lake.readings()
    if any(s.summary is not None and MARK in s.summary.additional_properties for s in table.snapshots()):
        return 0
    rows = pa.concat_tables([_spikes(*oven) for oven in ovens(world)])
    files = [write(table, partition, [part]) for partition, part in split(table, rows)]
    for _ in range(5):  # a lake writer may commit meanwhile: carry its newest offsets and try again
        try:
            commit(table, files, {MARK: f"{START.date()}+{DAYS}d"} | offsets_property(table_offsets(table)))
            return rows.num_rows
        except CommitFailedException:
            table = lake.readings()
    raise RuntimeError("could not commit the demo anomalies: the readings table kept changing")


def labels_csv(world: DemoWorld) -> str:
    lines = ["factory_id,equipment_id,window_start,window_end,label"]
    for factory_id, _, equipment_id in ovens(world):
        for start in spells(equipment_id):
            begin = START + timedelta(minutes=start)
            end = begin + timedelta(minutes=SPELL_MINUTES)
            lines.append(f"{factory_id},{equipment_id},{begin.isoformat()},{end.isoformat()},anomaly")
    return "\n".join(lines) + "\n"


async def publish(client: httpx.AsyncClient, app: FastAPI, world: DemoWorld) -> int:
    """Publish the dataset as the centre's staff unless it is there; 1 when published now."""
    listed = (await client.get("/api/v1/datasets", params={"model_id": MODEL, "limit": 200})).json()
    if any(d["title"]["ko"] == TITLE["ko"] for d in listed["items"]):
        return 0
    centre = next(c for c in world.regional_centres if c["id"] == CENTRE)
    issuer = state_of(app).get(DEV_ISSUER)
    token = issuer.issue(
        subject=f"demo-seed-{CENTRE}",
        roles=["agency"],
        org_id=CENTRE,
        username="demo-seed",
        regions=centre["regions"],
    )
    body = {
        "title": TITLE,
        "intended_use": {
            "ko": "설비 이상 탐지 모델의 학습과 성능 검증",
            "en": "Training and checking equipment anomaly detectors",
        },
        "licence": "KOGL-1",
        "model_id": MODEL,
        "model_version": "1.0.0",
        "factory_ids": sorted({f for f, _, _ in ovens(world)}),
        "equipment_ids": sorted({e for _, _, e in ovens(world)}),
        "item_ids": [ITEM],
        "start": START.isoformat(),
        "end": (START + timedelta(days=DAYS)).isoformat(),
        "label_definition": {
            "ko": "주입된 이상 구간 (30분간 30초마다 345 °C 급상승)",
            "en": "Injected anomaly (a 345 °C spike every 30 s for 30 minutes)",
        },
        "region_codes": centre["regions"],
    }
    answer = await client.post(
        "/api/v1/datasets",
        data={"dataset": json.dumps(body)},
        files={"labels": ("labels.csv", labels_csv(world), "text/csv")},
        headers={"Authorization": f"Bearer {token}"},
    )
    if answer.status_code != 201:
        raise RuntimeError(f"POST /api/v1/datasets answered {answer.status_code}: {answer.text[:500]}")
    return 1
