"""Shared datasets on the real lake: Iceberg on MinIO with its catalog in PostgreSQL (and the embedded lake),
snapshots in the same object store. The world is tests/catalog/conftest.py's: org-sme-1 owns factories a and
b, two lathes each (eq-1, eq-2), hourly spindle speeds of 1000 + hour (factory a) and 1100 + hour (factory b).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from catalog.datasets.snapshot import DATASETS, load_snapshot
from platform_api.app import create_app
from services.kit.app_state import state_of
from services.kit.tokens import DEV_ISSUER
from tests.catalog.conftest import LAKES, World, make_setup, seed

LATHE = {
    "id": "cnc-lathe",
    "equipment_type": "CNC_LATHE",
    "name": {"ko": "CNC 선반", "en": "CNC lathe"},
    "version": "1.0.0",
    "items": [
        {
            "id": "spindle_speed",
            "name": {"ko": "주축 회전수", "en": "Spindle speed"},
            "category": "SAMPLE",
            "data_type": "float",
            "unit": "rpm",
        },
        {
            "id": "execution",
            "name": {"ko": "실행 상태", "en": "Execution"},
            "category": "EVENT",
            "data_type": "string",
        },
    ],
}
SELECTION: dict[str, Any] = {
    "model_id": "cnc-lathe",
    "model_version": "1.0.0",
    "factory_ids": ["factory-sme-1-a", "factory-sme-1-b"],
    "item_ids": ["spindle_speed"],
    "start": "2025-11-01T00:00:00Z",
    "end": "2025-11-03T00:00:00Z",
}
DATASET: dict[str, Any] = {
    **SELECTION,
    "title": {"ko": "선반 주축 회전수", "en": "Lathe spindle speeds"},
    "intended_use": {"ko": "이상 탐지 학습", "en": "Training anomaly detectors"},
    "licence": "CC-BY-4.0",
    "label_definition": {"ko": "이상 구간", "en": "Anomalous window"},
}
LABELS = (
    "factory_id,equipment_id,window_start,window_end,label\n"
    "factory-sme-1-a,eq-1,2025-11-01T03:00:00Z,2025-11-01T05:00:00Z,anomaly\n"
    "factory-sme-1-b,eq-2,2025-11-02T10:00:00+09:00,2025-11-02T11:00:00+09:00,anomaly\n"
)
PSEUDONYM = re.compile(r"^e-[0-9a-f]{16}$")
ARTIFACTS = Path(__file__).resolve().parents[2] / "e2e" / "artifacts" / "portal"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.fixture(scope="module", params=LAKES)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    directory: Path = tmp_path_factory.mktemp(f"datasets-{request.param}")
    with (
        make_setup(request, request.param, directory) as setup,
        TestClient(create_app(setup.settings)) as client,
    ):
        world = World(setup, client, seed(setup.lake()))
        admin = world.headers("admin", org_id="org-operator")
        assert client.post("/api/v1/standards", json=LATHE, headers=admin).status_code == 201
        published = client.post("/api/v1/standards/cnc-lathe/versions/1.0.0/publish", headers=admin)
        assert published.status_code == 200, published.text
        yield world


def publish(
    world: World, headers: dict[str, str], body: dict[str, Any], labels: str | bytes | None = LABELS
) -> Any:
    files = {"labels": ("labels.csv", labels, "text/csv")} if labels is not None else None
    return world.client.post(
        "/api/v1/datasets", data={"dataset": json.dumps(body)}, files=files, headers=headers
    )


def download(world: World, headers: dict[str, str], dataset_id: str, name: str, version: int = 1) -> Any:
    return world.client.get(f"/api/v1/datasets/{dataset_id}/versions/{version}/files/{name}", headers=headers)


def test_publish_download_and_audit(world: World) -> None:
    sme1 = world.headers("sme", org_id="org-sme-1")
    answer = publish(world, sme1, DATASET)
    assert answer.status_code == 201, answer.text
    dataset = answer.json()
    card = dataset["latest"]["card"]
    # 2 factories x 2 lathes x 24 hours x 2 days
    assert (card["rows"], card["factories"], card["equipment"], card["label_rows"]) == (192, 2, 4, 2)
    assert card["items"] == [
        {"id": "spindle_speed", "name": {"ko": "주축 회전수", "en": "Spindle speed"}, "unit": "rpm"}
    ]
    assert card["publisher"] == {
        "kind": "organisation",
        "name": "org-sme-1",
        "org_id": "org-sme-1",
        "region_codes": None,
    }
    assert card["licence_name"]["en"] == "Creative Commons Attribution 4.0"
    assert dataset["latest"]["source"]["factory_ids"] == ["factory-sme-1-a", "factory-sme-1-b"]

    # the public sees the card, not where the rows came from
    public = world.client.get(f"/api/v1/datasets/{dataset['id']}")
    assert public.status_code == 200
    assert public.json()["latest"]["source"] is None
    listed = world.client.get("/api/v1/datasets", params={"model_id": "cnc-lathe"}).json()
    assert dataset["id"] in [d["id"] for d in listed["items"]]

    reader = world.headers("vendor", org_id="org-vendor-9")
    assert world.client.get(f"/api/v1/datasets/{dataset['id']}/versions/1/files/readings").status_code == 401
    refused = download(world, reader, dataset["id"], "readings")
    assert refused.status_code == 403
    assert "licence" in refused.json()["detail"]
    accepted = world.client.post(f"/api/v1/datasets/{dataset['id']}/licence-acceptance", headers=reader)
    assert accepted.status_code == 201 and accepted.json()["licence"] == "CC-BY-4.0"
    readings_file = download(world, reader, dataset["id"], "readings")
    labels_file = download(world, reader, dataset["id"], "labels")
    assert readings_file.status_code == 200 and labels_file.status_code == 200

    readings = pq.read_table(io.BytesIO(readings_file.content))
    assert readings.column_names == ["equipment", "item", "ts", "value"]
    names = set(readings["equipment"].to_pylist())
    assert len(names) == 4 and all(PSEUDONYM.match(n) for n in names)
    values = readings["value"].to_pylist()
    assert (min(values), max(values)) == (1000.0, 1123.0)
    assert str(readings["ts"][0].as_py()) == "2025-11-01 00:00:00+00:00"
    labels = pq.read_table(io.BytesIO(labels_file.content)).to_pylist()
    assert sorted(str(r["window_start"]) for r in labels) == [
        "2025-11-01 03:00:00+00:00",
        "2025-11-02 01:00:00+00:00",
    ]
    assert {r["equipment"] for r in labels} <= names
    # the content hash covers exactly the bytes downloaded
    digest = hashlib.sha256(readings_file.content + labels_file.content).hexdigest()
    assert card["content_hash"] == digest

    admin = world.headers("admin", org_id="org-operator")
    trail = world.client.get(
        "/api/v1/identity/audit", params={"resource_type": "ds_downloads"}, headers=admin
    ).json()["items"]
    mine = [e for e in trail if e["after"]["dataset_id"] == dataset["id"]]
    assert sorted(e["after"]["file"] for e in mine) == ["labels", "readings"]
    assert {e["actor_org_id"] for e in mine} == {"org-vendor-9"}


def test_pseudonyms_stable_within_a_dataset_and_not_across(world: World) -> None:
    sme1 = world.headers("sme", org_id="org-sme-1")
    first = publish(world, sme1, DATASET).json()
    second = publish(world, sme1, DATASET).json()
    again = world.client.post(
        f"/api/v1/datasets/{first['id']}/versions",
        data={"selection": json.dumps({**SELECTION, "label_definition": DATASET["label_definition"]})},
        files={"labels": ("labels.csv", LABELS, "text/csv")},
        headers=sme1,
    )
    assert again.status_code == 201, again.text
    assert again.json()["version"] == 2
    store = state_of(world.client.app).get(DATASETS)
    v1, v2 = load_snapshot(store, first["id"], 1), load_snapshot(store, first["id"], 2)
    other = load_snapshot(store, second["id"], 1)
    # same dataset, same rows: the same pseudonyms, bytes and hash in every version
    assert v1.readings.equals(v2.readings) and v1.content_hash == v2.content_hash
    assert again.json()["card"]["content_hash"] == first["latest"]["card"]["content_hash"]
    # another dataset of the same rows: unrelated pseudonyms, so another hash
    assert set(v1.readings["equipment"].to_pylist()).isdisjoint(other.readings["equipment"].to_pylist())
    assert other.content_hash != v1.content_hash
    # version 1 is unchanged by version 2
    assert world.client.get(f"/api/v1/datasets/{first['id']}").json()["versions"][0]["version"] == 1


def test_time_shift_moves_readings_and_labels(world: World) -> None:
    sme1 = world.headers("sme", org_id="org-sme-1")
    answer = publish(world, sme1, {**DATASET, "time_shift_days": -7})
    assert answer.status_code == 201, answer.text
    card = answer.json()["latest"]["card"]
    assert (card["period_start"], card["time_shifted"]) == ("2025-10-25T00:00:00Z", True)
    snap = load_snapshot(state_of(world.client.app).get(DATASETS), answer.json()["id"], 1)
    assert str(snap.readings["ts"][0].as_py()) == "2025-10-25 00:00:00+00:00"
    assert snap.labels is not None
    assert sorted(str(t) for t in snap.labels["window_start"].to_pylist()) == [
        "2025-10-25 03:00:00+00:00",
        "2025-10-26 01:00:00+00:00",
    ]


def test_too_few_equipment_is_refused(world: World) -> None:
    sme1 = world.headers("sme", org_id="org-sme-1")
    answer = publish(world, sme1, {**DATASET, "factory_ids": ["factory-sme-1-a"]}, labels=None)
    assert answer.status_code == 422
    assert "at least 3" in answer.json()["detail"]
    assert answer.json()["fields"][0]["loc"] == "body.factory_ids"


def test_only_your_own_factories(world: World) -> None:
    sme2 = world.headers("sme", org_id="org-sme-2")
    answer = publish(world, sme2, DATASET, labels=None)
    assert answer.status_code == 403
    assert "factory-sme-1-a" in answer.json()["detail"]
    # nor the raw rows behind a published dataset
    raw = world.get("/readings", sme2, factory_id="factory-sme-1-a")
    assert raw.status_code == 403


def test_labels_naming_unknown_equipment_are_422_with_row_and_field(world: World) -> None:
    sme1 = world.headers("sme", org_id="org-sme-1")
    bad = (
        "factory_id,equipment_id,window_start,window_end,label\n"
        "factory-sme-1-a,eq-1,2025-11-01T03:00:00Z,2025-11-01T05:00:00Z,anomaly\n"
        "factory-sme-1-a,eq-9,2025-11-01T03:00:00Z,2025-11-01T05:00:00Z,anomaly\n"
        "factory-sme-1-b,eq-2,2025-11-01T06:00:00,2025-11-01T05:00:00Z,anomaly\n"
    )
    answer = publish(world, sme1, DATASET, labels=bad)
    assert answer.status_code == 422, answer.text
    assert [f["loc"] for f in answer.json()["fields"]] == ["labels[2].equipment_id", "labels[3].window_start"]
    ambiguous = (
        "equipment_id,window_start,window_end,label\neq-1,2025-11-01T03:00:00Z,2025-11-01T04:00:00Z,x\n"
    )
    answer = publish(world, sme1, DATASET, labels=ambiguous)
    assert answer.status_code == 422
    assert answer.json()["fields"][0]["loc"] == "labels[1].equipment_id"
    assert "factory_id" in answer.json()["fields"][0]["msg"]


def test_bad_selection_names_the_field(world: World) -> None:
    sme1 = world.headers("sme", org_id="org-sme-1")
    answer = publish(world, sme1, {**DATASET, "item_ids": ["execution"]}, labels=None)
    assert answer.status_code == 422
    assert answer.json()["fields"][0]["loc"] == "body.item_ids[0]"
    answer = publish(world, sme1, {**DATASET, "model_version": "9.9.9"}, labels=None)
    assert answer.status_code == 422
    assert answer.json()["fields"][0]["loc"] == "body.model_version"
    answer = publish(world, sme1, {**DATASET, "end": "2025-10-01T00:00:00Z"}, labels=None)
    assert answer.status_code == 422
    assert answer.json()["fields"][0]["loc"] == "body"


def _session(world: World, *roles: str, org_id: str) -> None:
    """A portal session: the session cookie holds the visitor's token (platform_api/portal/auth.py)."""
    token = world.headers(*roles, org_id=org_id)["Authorization"].removeprefix("Bearer ")
    world.client.cookies.clear()
    world.client.cookies.set("portal_session", token)


def test_portal_lists_shows_and_downloads_after_the_licence(world: World) -> None:
    dataset = publish(world, world.headers("sme", org_id="org-sme-1"), DATASET).json()
    world.client.cookies.clear()
    listed = world.client.get("/datasets", params={"lang": "ko"})
    assert listed.status_code == 200
    assert f'href="/datasets/{dataset["id"]}"' in listed.text and "선반 주축 회전수" in listed.text

    page = world.client.get(f"/datasets/{dataset['id']}", params={"lang": "ko"})
    assert page.status_code == 200
    card = dataset["latest"]["card"]
    for shown in (
        "데이터 카드",
        "주축 회전수",
        "192",
        "저작자표시 4.0 국제",
        card["content_hash"],
        "이상 구간",
    ):
        assert shown in page.text, shown
    assert "factory-sme-1-a" not in page.text  # the source stays the publisher's
    assert "파일을 내려받으려면 로그인하세요" in page.text

    _session(world, "vendor", org_id="org-vendor-7")
    page = world.client.get(f"/datasets/{dataset['id']}", params={"lang": "en"})
    assert 'action="/datasets/' in page.text and "Accept the licence" in page.text
    link = f"/datasets/{dataset['id']}/versions/1/files/readings"
    before = world.client.get(link, follow_redirects=False)
    assert before.status_code == 303 and before.headers["location"].endswith("#licence")
    forged = world.client.post(f"/datasets/{dataset['id']}/accept", follow_redirects=False)
    assert forged.status_code == 403  # no CSRF token: not a form of this session
    tokens = dict(re.findall(r'<input type="hidden" name="(csrf|submit)" value="([^"]+)">', page.text))
    accepted = world.client.post(f"/datasets/{dataset['id']}/accept", data=tokens, follow_redirects=False)
    assert accepted.status_code == 303
    page = world.client.get(accepted.headers["location"] + "&lang=en")
    assert "Licence accepted." in page.text and f'href="{link}"' in page.text
    file = world.client.get(link)
    assert file.status_code == 200 and file.content[:4] == b"PAR1"
    world.client.cookies.clear()


def test_portal_page_of_an_unknown_dataset_is_404(world: World) -> None:
    world.client.cookies.clear()
    assert world.client.get("/datasets/no-such-dataset").status_code == 404


@pytest.mark.e2e
def test_browser_accepts_the_licence_and_sees_the_download(world: World) -> None:
    """The dataset pages in Chromium, served by a real HTTP server over the same database and lake."""
    if world.setup.kind != "local":
        pytest.skip("one browser run is enough: the pages are the same on either lake")
    import threading

    import uvicorn
    from playwright.sync_api import sync_playwright

    dataset = publish(world, world.headers("sme", org_id="org-sme-1"), DATASET).json()
    token = world.headers("vendor", org_id="org-vendor-8")["Authorization"].removeprefix("Bearer ")
    app = create_app(world.setup.settings)
    state_of(app).put(DEV_ISSUER, state_of(world.client.app).get(DEV_ISSUER))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            thread.join(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            context = chromium.new_context(
                base_url=base, viewport={"width": 1280, "height": 900}, locale="ko-KR"
            )
            context.add_cookies([{"name": "portal_session", "value": token, "url": base}])
            page = context.new_page()
            page.goto("/datasets?lang=ko")
            page.click(f'a[href="/datasets/{dataset["id"]}"]')
            page.wait_for_url(f"**/datasets/{dataset['id']}")
            assert page.locator("h2#card-h").inner_text() == "데이터 카드"
            page.click(f'form[action="/datasets/{dataset["id"]}/accept"] button')
            page.wait_for_url(re.compile(r"accepted=1"))
            link = page.locator(f'a[href="/datasets/{dataset["id"]}/versions/1/files/readings"]')
            assert link.is_visible()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "dataset-page-desktop.png"), full_page=True)
            with page.expect_download() as download:
                link.click()
            assert Path(download.value.path()).read_bytes()[:4] == b"PAR1"
            chromium.close()
    finally:
        server.should_exit = True
        thread.join(10)


def _register(world: World, org_id: str, brn: str, region: str) -> None:
    body = {
        "id": org_id,
        "kind": "sme",
        "name": {"ko": f"{org_id} 주식회사", "en": f"{org_id} Co."},
        "business_registration_number": brn,
        "representative": "홍길동",
        "region_code": region,
        "industry_code": "C29",
        "employees": 40,
    }
    answer = world.client.post(
        "/api/v1/companies", json=body, headers=world.headers("admin", org_id="org-op")
    )
    assert answer.status_code in (201, 409), answer.text


def _agency(world: World, org_id: str, regions: list[str]) -> dict[str, str]:
    issuer = state_of(world.client.app).get(DEV_ISSUER)
    token = issuer.issue(subject=f"staff-{org_id}", roles=["agency"], org_id=org_id, regions=regions)
    return {"Authorization": f"Bearer {token}"}


def test_a_regional_centre_publishes_for_its_regions_only(world: World) -> None:
    _register(world, "org-sme-1", "1018682648", "48")
    _register(world, "org-sme-2", "1028612126", "48")
    _register(world, "org-sme-3", "1038693587", "11")
    centre = _agency(world, "org-aic-gyeongnam", ["48"])
    body = {**DATASET, "factory_ids": ["factory-sme-1-a", "factory-sme-2-a"], "region_codes": ["48"]}
    answer = publish(world, centre, body, labels=None)
    assert answer.status_code == 201, answer.text
    card = answer.json()["latest"]["card"]
    assert card["publisher"]["kind"] == "centre" and card["publisher"]["region_codes"] == ["48"]
    assert (card["factories"], card["equipment"]) == (2, 4)

    outside = {**body, "factory_ids": ["factory-sme-1-a", "factory-sme-3-a"]}
    refused = publish(world, centre, outside, labels=None)
    assert refused.status_code == 403 and "factory-sme-3-a" in refused.json()["detail"]
    other_centre = _agency(world, "org-aic-busan", ["26"])
    assert publish(world, other_centre, body, labels=None).status_code == 403


def _threshold_model() -> bytes:
    """``label`` 1 when the mean spindle speed of a two-hour window is over 1120 rpm, else 0."""
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 2])
    label = helper.make_tensor_value_info("label", TensorProto.INT64, [None, 1])
    limit = helper.make_tensor("limit", TensorProto.FLOAT, [], [1120.0])
    graph = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["x"], ["mean"], axes=[1], keepdims=1),
            helper.make_node("Greater", ["mean", "limit"], ["over"]),
            helper.make_node("Cast", ["over"], ["label"], to=TensorProto.INT64),
        ],
        "threshold",
        [x],
        [label],
        [limit],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model.SerializeToString()


def test_a_claim_is_re_measured_and_ranked(world: World) -> None:
    sme1 = world.headers("sme", org_id="org-sme-1")
    dataset = publish(world, sme1, DATASET).json()
    vendor = world.headers("vendor", org_id="org-vendor-5")
    case = {
        "title": {"ko": "주축 이상 탐지", "en": "Spindle anomaly detection"},
        "summary": {"ko": "주축 회전수로 이상을 찾습니다.", "en": "Finds anomalies from spindle speeds."},
        "problem_type": "quality_inspection",
        "technique": "anomaly_detection",
        "equipment_model_refs": [{"model_id": "cnc-lathe", "version": "1.0.0"}],
        "data_used": ["주축 회전수"],
        "effects": [
            {"metric": {"ko": "불량률", "en": "Defect rate"}, "unit": "%", "before": 3.0, "after": 2.0}
        ],
        "region_code": "48",
        "industry_code": "C29",
    }
    created = world.client.post("/api/v1/usecases", json=case, headers=vendor)
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    signature = {
        "model_id": "cnc-lathe",
        "model_version": "1.0.0",
        "items": ["spindle_speed"],
        "window_length": 2,
        "interval_seconds": 3600,
        "outputs": [{"name": "label", "kind": "class"}],
    }
    attached = world.client.put(
        f"/api/v1/usecases/{case_id}/model",
        data={"signature": json.dumps(signature)},
        files={"file": ("model.onnx", _threshold_model(), "application/octet-stream")},
        headers=vendor,
    )
    assert attached.status_code in (200, 201), attached.text
    model_sha = hashlib.sha256(_threshold_model()).hexdigest()
    published = world.client.post(f"/api/v1/usecases/{case_id}/publish", headers=vendor)
    assert published.status_code == 200, published.text

    path = f"/api/v1/datasets/{dataset['id']}/versions/1/claims"
    assert (
        world.client.post(
            path, json={"case_id": case_id, "metric": "f1", "value": 0.9}, headers=sme1
        ).status_code
        == 403
    )
    claims = {}
    for metric, value in (("f1", 0.9), ("accuracy", 0.95)):
        answer = world.client.post(
            path, json={"case_id": case_id, "metric": metric, "value": value}, headers=vendor
        )
        assert answer.status_code == 201, answer.text
        claims[metric] = answer.json()
    # 96 two-hour windows; the model flags factory b's last two windows of each day on both lathes (8) and
    # misses the three labelled ones: no true positive, 85 of 96 right
    assert (claims["f1"]["status"], claims["f1"]["measured"]) == ("measured", 0.0)
    assert claims["accuracy"]["measured"] == 0.885417
    assert claims["f1"]["model_sha256"] == model_sha
    assert claims["f1"]["dataset_sha256"] == dataset["latest"]["card"]["content_hash"]

    board = world.client.get(
        f"/api/v1/datasets/{dataset['id']}/versions/1/leaderboard", params={"metric": "accuracy"}
    )
    assert [(c["case_id"], c["claimed"], c["measured"]) for c in board.json()["items"]] == [
        (case_id, 0.95, 0.885417)
    ]
    of_case = world.client.get(f"/api/v1/datasets/claims/of-case/{case_id}").json()
    assert sorted(c["metric"] for c in of_case) == ["accuracy", "f1"]
    world.client.cookies.clear()
    page = world.client.get(f"/datasets/{dataset['id']}", params={"lang": "en"})
    assert "0.885" in page.text and "0.95" in page.text
    case_page = world.client.get(f"/cases/{case_id}", params={"lang": "en"})
    assert "Claims re-measured on shared datasets" in case_page.text and "0.885" in case_page.text
