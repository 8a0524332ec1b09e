"""The demo's two runnable cases, trained at seed time in seconds on generated telemetry (never the lake's
own rows: the model of a case comes from its owner's data, here another factory's), converted with skl2onnx:

- an anomaly detector (IsolationForest) on hourly windows of an injection-moulding machine's barrel
  temperature: ``scores`` (lower: more unusual) and ``label`` (-1 anomalous, 1 normal);
- an energy regression (gradient boosting): the kWh an hour of that barrel-temperature profile should draw.

Both read ``injection-molding`` 1.0.0, which ``sme1``'s factory runs (``eq-1-02``): applying one works at
once.
The windows are built by the code that builds them for a run (``catalog.ai_runs.windows``), so a model is
trained on exactly what it will be given.
"""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from catalog.ai_runs.windows import windows_of
from platform_api.demo_data import DemoWorld
from platform_api.demo_telemetry import equipment_readings
from services.usecases.runnable.signature import Signature

MODEL = "injection-molding"
TRAINING_FACTORY, TRAINING_ORG, TRAINING_DAYS = "factory-sme-2-a", "org-sme-2", 4
OWNER = "org-vendor-1"


def _signature(outputs: list[dict[str, Any]]) -> Signature:
    return Signature.model_validate(
        {
            "model_id": MODEL,
            "model_version": "1.0.0",
            "items": ["barrel_temp"],
            "window_length": 60,
            "interval_seconds": 60,
            "outputs": outputs,
        }
    )


# IsolationForest's label: -1 an outlier, 1 an inlier (claims count -1 as the anomaly).
ANOMALY = _signature(
    [{"name": "scores", "kind": "score"}, {"name": "label", "kind": "class", "positive": ["-1"]}]
)
ENERGY = _signature([{"name": "variable", "kind": "value", "unit": "kWh"}])


def _case(
    title: tuple[str, str],
    summary: tuple[str, str],
    problem: str,
    technique: str,
    effect: dict[str, Any],
) -> dict[str, Any]:
    return {
        "owner_org_id": OWNER,
        "title": {"ko": title[0], "en": title[1]},
        "summary": {"ko": summary[0], "en": summary[1]},
        "problem_type": problem,
        "technique": technique,
        "equipment_model_refs": [{"model_id": MODEL, "version": "1.0.0"}],
        "data_used": [
            {
                "ko": "사출 성형기 실린더 온도 1분 평균",
                "en": "Injection molding barrel temperature, 1-minute mean",
            }
        ],
        "effects": [effect],
        "region_code": "11",
        "industry_code": "C22",
        "supplier_company_id": OWNER,
    }


CASES: list[tuple[str, dict[str, Any], Signature]] = [
    (
        "anomaly",
        _case(
            (
                "사출기 실린더 온도 이상 탐지 (내 공장에 적용 가능)",
                "Barrel temperature anomalies (apply to your factory)",
            ),
            (
                "1시간 창의 실린더 온도 프로파일을 IsolationForest로 평가합니다. "
                "scores가 낮을수록 평소와 다르며 label -1은 이상입니다.",
                "Scores each hour's barrel temperature profile with an IsolationForest: the lower the "
                "score, the more unusual the hour; label -1 marks an anomaly.",
            ),
            "predictive_maintenance",
            "anomaly_detection",
            {
                "metric": {"ko": "월 비계획 정지 시간", "en": "Unplanned stop hours per month"},
                "unit": "h",
                "before": 14.0,
                "after": 8.5,
                "higher_is_better": False,
            },
        ),
        ANOMALY,
    ),
    (
        "energy",
        _case(
            (
                "사출기 시간당 전력 사용량 예측 (내 공장에 적용 가능)",
                "Hourly energy of injection moulding (apply to your factory)",
            ),
            (
                "실린더 온도 프로파일에서 그 시간에 필요한 전력량(kWh)을 추정합니다. "
                "계량값과 비교해 낭비를 찾습니다.",
                "Estimates the kWh an hour of the barrel temperature profile should draw; compare it with "
                "the metered energy to find waste.",
            ),
            "energy_optimization",
            "gradient_boosting",
            {
                "metric": {"ko": "사출 1회당 전력", "en": "Energy per shot"},
                "unit": "Wh",
                "before": 41.0,
                "after": 36.5,
                "higher_is_better": False,
            },
        ),
        ENERGY,
    ),
]


def _training(world: DemoWorld) -> tuple[np.ndarray, np.ndarray]:
    """Hourly windows of another factory's machine and the kWh each hour drew."""
    models = {m["id"]: m for m in world.models}
    factory = next(f for _, f in world.factories if f["id"] == TRAINING_FACTORY)
    equipment = next(e for e in factory["equipment"] if e["model_id"] == MODEL)
    rows = equipment_readings(TRAINING_FACTORY, TRAINING_ORG, equipment, models[MODEL], days=TRAINING_DAYS)
    shaped = pa.table(
        {
            "equipment": rows["equipment_id"].cast(pa.string()),
            "item": rows["item_id"].cast(pa.string()),
            "ts": rows["ts"],
            "value": rows["value_num"],
        }
    )
    windows = windows_of(shaped, ANOMALY)
    features = np.asarray(windows["features"].to_pylist(), dtype=np.float32)
    energy = shaped.filter(pc.equal(shaped["item"], "energy"))
    hours = pc.cast(pc.floor_temporal(energy["ts"], unit="hour"), pa.timestamp("us", tz="UTC"))
    drawn = (
        pa.table({"hour": hours, "v": energy["value"]})
        .group_by("hour")
        .aggregate([("v", "max"), ("v", "min")])
    )
    per_hour = dict(
        zip(drawn["hour"].to_pylist(), (pc.subtract(drawn["v_max"], drawn["v_min"])).to_pylist(), strict=True)
    )
    target = np.array(
        [per_hour.get(start, 0.0) for start in windows["window_start"].to_pylist()], dtype=np.float32
    )
    return features, target


def train(world: DemoWorld) -> dict[str, bytes]:
    """The two models' ONNX bytes, by the name of their case (a few seconds)."""
    from skl2onnx import to_onnx
    from sklearn.ensemble import GradientBoostingRegressor, IsolationForest

    features, target = _training(world)
    opsets = {"": 17, "ai.onnx.ml": 3}
    forest = IsolationForest(n_estimators=30, max_samples=64, contamination=0.02, random_state=7).fit(
        features
    )
    booster = GradientBoostingRegressor(n_estimators=40, max_depth=3, random_state=7).fit(features, target)
    return {
        "anomaly": to_onnx(forest, features[:1], target_opset=opsets).SerializeToString(),
        "energy": to_onnx(booster, features[:1], target_opset=opsets).SerializeToString(),
    }


async def seed_runnable(
    client: httpx.AsyncClient, item: tuple[str, dict[str, Any], Signature], model: bytes
) -> str:
    """One runnable case: created, given its model (checked and dry-run like any upload), published."""
    _, body, signature = item
    made = await client.post("/api/v1/usecases", json=body)
    if made.status_code != 201:
        raise RuntimeError(f"POST /api/v1/usecases answered {made.status_code}: {made.text[:500]}")
    case_id = str(made.json()["id"])
    put = await client.put(
        f"/api/v1/usecases/{case_id}/model",
        files={"file": ("model.onnx", model, "application/octet-stream")},
        data={"signature": signature.model_dump_json()},
    )
    if put.status_code != 200:
        raise RuntimeError(f"PUT model answered {put.status_code}: {put.text[:500]}")
    published = await client.post(f"/api/v1/usecases/{case_id}/publish", json={})
    if published.status_code != 200:
        raise RuntimeError(f"publish answered {published.status_code}: {published.text[:500]}")
    return case_id
