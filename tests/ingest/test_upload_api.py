"""The upload API on the embedded data path: formats, validation policies, hostile payloads, tenancy."""

from __future__ import annotations

import gzip
import io
import time
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from ingest import messages
from ingest.runtime import RUNTIME
from services.kit.app_state import state_of
from tests import snapshots
from tests.conftest import Auth
from tests.factories import model_body, register_factory

URL = "/api/v1/ingest/batches"
FACTORY = "factory-sme-1-a"


def seed_gateway(client: TestClient, auth: Auth) -> dict[str, str]:
    """A published cnc-lathe standard and SME 1's registered factory: its gateway's upload headers."""
    admin = auth("admin", org_id="org-operator")
    assert client.post("/api/v1/standards", json=model_body(), headers=admin).status_code == 201
    assert client.post("/api/v1/standards/cnc-lathe/versions/1.0.0/publish", headers=admin).status_code == 200
    register_factory(client, admin, company_id="org-sme-1", factory_id=FACTORY)
    return {**auth("gateway", org_id="org-sme-1", factory_id=FACTORY), "X-Factory-Id": FACTORY}


@pytest.fixture
@snapshots.seeded_by(seed_gateway)
def gateway(request: pytest.FixtureRequest, client: TestClient) -> dict[str, str]:
    return dict(snapshots.seeded(request))


def reading(item: str = "spindle_speed", value: Any = 1200.0, **extra: Any) -> dict[str, Any]:
    return {
        "equipment_id": "eq-1",
        "model_id": "cnc-lathe",
        "model_version": "1.0.0",
        "item_id": item,
        "ts": "2025-11-24T09:00:00+09:00",
        "value": value,
        **extra,
    }


def post(
    client: TestClient,
    headers: dict[str, str],
    body: bytes,
    batch: str = "b-1",
    content_type: str = "application/json",
    **extra_headers: str,
) -> Any:
    return client.post(
        URL,
        content=body,
        headers={**headers, "X-Batch-Id": batch, "Content-Type": content_type, **extra_headers},
    )


def as_json(*rows: dict[str, Any]) -> bytes:
    return orjson.dumps({"readings": list(rows)})


def lake(client: TestClient, expected: int) -> pa.Table:
    deadline = time.monotonic() + 20
    while True:
        table = state_of(client.app).get(RUNTIME).lake.readings().scan().to_arrow()
        if table.num_rows >= expected or time.monotonic() > deadline:
            return table
        time.sleep(0.2)


def test_json_is_normalised_into_the_lake(client: TestClient, gateway: dict[str, str]) -> None:
    rows = [
        reading("coolant_temp", 122, unit="°F"),
        reading("feed_rate", 600, unit="mm/min"),
        reading("execution", "RUNNING"),
        reading("part_count", 12),
    ]
    answer = post(client, gateway, as_json(*rows))
    assert answer.status_code == 202, answer.text
    assert answer.json() == {
        "batch_id": "b-1",
        "factory_id": FACTORY,
        "accepted": 4,
        "rejected": 0,
        "duplicate": False,
        "deprecated_versions": [],
    }
    table = lake(client, 4).sort_by("item_id").to_pylist()
    assert table[0]["value_num"] == pytest.approx(50.0)
    assert [(r["item_id"], r["value_num"], r["value_text"], r["unit"]) for r in table[1:]] == [
        ("execution", None, "RUNNING", None),
        ("feed_rate", 10.0, None, "mm/s"),
        ("part_count", 12.0, None, "count"),
    ]
    assert {r["factory_id"] for r in table} == {FACTORY} and {r["org_id"] for r in table} == {"org-sme-1"}
    # The writer's own Parquet files, read by DuckDB through the analytics API: text comes back as text.
    answer = client.get("/api/v1/analytics/readings", params={"factory_id": FACTORY}, headers=gateway)
    assert answer.status_code == 200, answer.text
    via_duckdb = sorted(answer.json()["items"], key=lambda r: r["item_id"])
    assert [(r["item_id"], r["value_num"], r["value_text"], r["unit"]) for r in via_duckdb] == [
        ("coolant_temp", pytest.approx(50.0), None, "°C"),
        ("execution", None, "RUNNING", None),
        ("feed_rate", 10.0, None, "mm/s"),
        ("part_count", 12.0, None, "count"),
    ]


def test_csv_arrow_parquet_and_gzip(client: TestClient, gateway: dict[str, str]) -> None:
    csv = (
        b"equipment_id,model_id,model_version,item_id,ts,value,unit,quality\n"
        b"eq-1,cnc-lathe,1.0.0,spindle_speed,2025-11-24T00:00:00Z,1500,rpm,good\n"
        b"eq-1,cnc-lathe,1.0.0,execution,2025-11-24T00:00:01Z,IDLE,,\n"
    )
    assert post(client, gateway, csv, "c-1", "text/csv").json()["accepted"] == 2
    table = pa.table(
        {
            "equipment_id": ["eq-2"] * 3,
            "model_id": ["cnc-lathe"] * 3,
            "model_version": ["1.0.0"] * 3,
            "item_id": ["spindle_speed"] * 3,
            "ts": pa.array([1_763_942_400_000_000 + i for i in range(3)], pa.timestamp("us", tz="UTC")),
            "value": [1.0, 2.0, 3.0],
        }
    )
    arrow = gzip.compress(messages.encode(table))
    answer = post(
        client, gateway, arrow, "a-1", "application/vnd.apache.arrow.stream", **{"Content-Encoding": "gzip"}
    )
    assert answer.status_code == 202 and answer.json()["accepted"] == 3
    sink = io.BytesIO()
    pq.write_table(table, sink)
    assert (
        post(client, gateway, sink.getvalue(), "p-1", "application/vnd.apache.parquet").json()["accepted"]
        == 3
    )
    assert lake(client, 8).num_rows == 8


def test_reject_policy_lists_every_violation_and_accepts_nothing(
    client: TestClient, gateway: dict[str, str]
) -> None:
    rows = [
        reading(),
        reading(value=99999),
        reading("nope", 1),
        reading("execution", "DANCING"),
        reading(value=True),
        reading(ts="2999-01-01T00:00:00Z"),
        reading(ts="2025-01-01T00:00:00"),
        reading(value="1200"),
        reading(quality="great"),
    ]
    answer = post(client, gateway, as_json(*rows))
    assert answer.status_code == 400
    assert answer.json()["error"] == "ValidationFailed"
    assert [f["loc"] for f in answer.json()["fields"]] == [
        "rows[1].value",
        "rows[2].item_id",
        "rows[3].value",
        "rows[4].value",
        "rows[5].ts",
        "rows[6].ts",
        "rows[7].value",
        "rows[8].quality",
    ]
    assert "99999 rpm is above the maximum 6000" in answer.json()["fields"][0]["msg"]
    time.sleep(3 * snapshots.TEST_FLUSH_S)  # past the writer's flush: a row on the bus would be in the lake
    assert lake(client, 0).num_rows == 0
    partial = client.post(
        URL,
        params={"policy": "partial"},
        content=as_json(*rows),
        headers={**gateway, "X-Batch-Id": "b-2", "Content-Type": "application/json"},
    )
    assert partial.status_code == 202 and partial.json()["accepted"] == 1 and partial.json()["rejected"] == 8
    deadline = time.monotonic() + 20
    while (
        not (
            letters := client.get(
                "/api/v1/ingest/dead-letters", params={"factory_id": FACTORY}, headers=gateway
            ).json()["items"]
        )
        and time.monotonic() < deadline
    ):
        time.sleep(0.2)
    assert [(d["row"], d["field"]) for d in letters][:2] == [(1, "value"), (2, "item_id")]
    assert len(letters) == 8
    status = client.get("/api/v1/ingest/batches/b-2", params={"factory_id": FACTORY}, headers=gateway).json()
    assert status["policy"] == "partial" and status["rejected"] == 8


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (gzip.compress(as_json(reading()))[:-10], {"Content-Encoding": "gzip"}, 400),
        (b"<xml/>", {"Content-Type": "application/xml"}, 415),
        (as_json(reading()), {"Content-Encoding": "br"}, 415),
        (as_json(reading(value="x" * 10_000_000)), {}, 400),
        (b'{"readings": [{"value": NaN}]}', {}, 400),
        (b'{"readings": [' + orjson.dumps(reading())[:-1] + b', "v": Infinity}]}', {}, 400),
        ('{"readings": ["caf\xe9"]}'.encode("latin-1"), {}, 400),
        (as_json(reading(equipment_id="'; DROP TABLE ing_batches; --")), {}, 202),
        (as_json(reading(item_id="x' OR 1=1 --")), {}, 400),
        (b"", {}, 400),
        (b'{"readings": []}', {}, 400),
        (b'{"readings": [1, 2]}', {}, 400),
        (b"\x00\x01garbage", {"Content-Type": "application/vnd.apache.arrow.stream"}, 400),
        (b"PAR1garbage", {"Content-Type": "application/vnd.apache.parquet"}, 400),
        (b"a,b\n1,2\n", {"Content-Type": "text/csv"}, 400),
    ],
)
def test_hostile_payloads_get_4xx_and_keep_earlier_data(
    client: TestClient, gateway: dict[str, str], body: bytes, headers: dict[str, str], status: int
) -> None:
    assert post(client, gateway, as_json(reading()), "kept").status_code == 202
    answer = client.post(
        URL,
        content=body,
        headers={"Content-Type": "application/json", **gateway, "X-Batch-Id": "hostile", **headers},
    )
    assert answer.status_code == status, answer.text[:300]
    assert "error" in answer.json() or status == 202
    assert lake(client, 1).num_rows >= 1
    assert (
        client.get("/api/v1/ingest/batches/kept", params={"factory_id": FACTORY}, headers=gateway).status_code
        == 200
    )


def test_size_limits_say_the_limit(client: TestClient, gateway: dict[str, str]) -> None:
    limit = state_of(client.app).settings.upload.max_bytes
    too_big = post(client, gateway, b" " * (limit + 1))
    assert too_big.status_code == 413 and str(limit) in too_big.json()["detail"]
    bomb = gzip.compress(b" " * (limit * 4 + 1))
    answer = post(client, gateway, bomb, "bomb", **{"Content-Encoding": "gzip"})
    assert answer.status_code == 413 and "decompressed" in answer.json()["detail"]


def test_gateways_upload_only_for_their_factory(
    client: TestClient, gateway: dict[str, str], auth: Auth
) -> None:
    other = {**gateway, "X-Factory-Id": "factory-sme-2-a"}
    assert post(client, other, as_json(reading())).status_code == 403
    person = {**auth("sme", org_id="org-sme-1"), "X-Factory-Id": FACTORY}
    assert post(client, person, as_json(reading())).status_code == 403
    assert (
        client.post(
            URL,
            content=as_json(reading()),
            headers={"X-Batch-Id": "x", "X-Factory-Id": FACTORY, "Content-Type": "application/json"},
        ).status_code
        == 401
    )
    bad_id = post(client, gateway, as_json(reading()), batch="no spaces allowed")
    assert bad_id.status_code == 422 and bad_id.json()["fields"][0]["loc"] == "header.x-batch-id"
    assert post(client, gateway, as_json(reading())).status_code == 202
    stranger = auth("sme", org_id="org-sme-2")
    assert (
        client.get("/api/v1/ingest/batches/b-1", params={"factory_id": FACTORY}, headers=stranger).status_code
        == 404
    )
    owner = auth("sme", org_id="org-sme-1")
    assert (
        client.get("/api/v1/ingest/batches/b-1", params={"factory_id": FACTORY}, headers=owner).status_code
        == 200
    )


def test_unpublished_model_versions_take_no_data(client: TestClient, gateway: dict[str, str]) -> None:
    answer = post(client, gateway, as_json(reading(model_version="9.9.9")))
    assert answer.status_code == 400
    assert answer.json()["fields"][0]["loc"] == "rows[0].model_version"
    assert "not a published data standard" in answer.json()["fields"][0]["msg"]


def test_uploads_name_a_registered_factory_of_the_callers_organisation(
    client: TestClient, gateway: dict[str, str], auth: Auth
) -> None:
    unknown = {**auth("gateway", org_id="org-sme-1", factory_id="factory-000"), "X-Factory-Id": "factory-000"}
    refused = post(client, unknown, as_json(reading()))
    assert refused.status_code == 422, refused.text
    assert refused.json()["fields"][0]["loc"] == "header.x-factory-id"
    # Admins too: an operator's token does not make another organisation's factory its own.
    admin = {**auth("admin", org_id="org-operator"), "X-Factory-Id": FACTORY}
    assert post(client, admin, as_json(reading())).status_code == 403
    admin_unknown = {**auth("admin", org_id="org-operator"), "X-Factory-Id": "factory-000"}
    assert post(client, admin_unknown, as_json(reading())).status_code == 422
    assert post(client, gateway, as_json(reading())).status_code == 202
    assert (
        client.get(
            "/api/v1/ingest/batches/b-1", params={"factory_id": "factory-000"}, headers=auth("admin")
        ).status_code
        == 404
    )


def test_a_factory_with_an_equipment_registry_takes_data_of_its_equipment_only(
    client: TestClient, auth: Auth
) -> None:
    admin = auth("admin", org_id="org-operator")
    assert client.post("/api/v1/standards", json=model_body(), headers=admin).status_code == 201
    assert client.post("/api/v1/standards/cnc-lathe/versions/1.0.0/publish", headers=admin).status_code == 200
    equipment = [{"equipment_id": "eq-1", "model_id": "cnc-lathe", "model_version": "1.0.0"}]
    register_factory(client, admin, company_id="org-sme-2", factory_id="factory-sme-2-a", equipment=equipment)
    gateway = {
        **auth("gateway", org_id="org-sme-2", factory_id="factory-sme-2-a"),
        "X-Factory-Id": "factory-sme-2-a",
    }
    refused = post(client, gateway, as_json(reading(), reading(equipment_id="eq-9")))
    assert refused.status_code == 422
    assert [f["loc"] for f in refused.json()["fields"]] == ["rows[1].equipment_id"]
    assert post(client, gateway, as_json(reading(), reading()), batch="b-2").status_code == 202


def test_unregistered_equipment_is_named_by_row_in_a_dictionary_encoded_batch(
    client: TestClient, auth: Auth
) -> None:
    """The registry check looks at each distinct id once: the rows named are exactly the failing ones, and
    an unregistered id that the Arrow dictionary carries but no row uses is not a failure."""
    admin = auth("admin", org_id="org-operator")
    assert client.post("/api/v1/standards", json=model_body(), headers=admin).status_code == 201
    assert client.post("/api/v1/standards/cnc-lathe/versions/1.0.0/publish", headers=admin).status_code == 200
    equipment = [
        {"equipment_id": f"eq-{n}", "model_id": "cnc-lathe", "model_version": "1.0.0"} for n in (1, 2)
    ]
    register_factory(client, admin, company_id="org-sme-2", factory_id="factory-sme-2-a", equipment=equipment)
    gateway = {
        **auth("gateway", org_id="org-sme-2", factory_id="factory-sme-2-a"),
        "X-Factory-Id": "factory-sme-2-a",
        "Content-Type": "application/vnd.apache.arrow.stream",
    }

    def batch(codes: list[int | None]) -> bytes:
        ids = pa.DictionaryArray.from_arrays(
            pa.array(codes, pa.int32()), pa.array(["eq-1", "eq-2", "eq-9", "eq-404"])
        )
        rows = len(codes)
        start = 1_763_942_400_000_000  # 2025-11-24T00:00:00Z in microseconds
        table = pa.table(
            {
                "equipment_id": ids,
                "model_id": ["cnc-lathe"] * rows,
                "model_version": ["1.0.0"] * rows,
                "item_id": ["spindle_speed"] * rows,
                "ts": pa.array([start + i for i in range(rows)], pa.timestamp("us", tz="UTC")),
                "value": [1000.0] * rows,
            }
        )
        return messages.encode(table)

    refused = client.post(
        URL, content=batch([0, 1, 2, 0, 3, 1, 2]), headers={**gateway, "X-Batch-Id": "mixed"}
    )
    assert refused.status_code == 422
    assert [f["loc"] for f in refused.json()["fields"]] == [
        "rows[2].equipment_id",
        "rows[4].equipment_id",
        "rows[6].equipment_id",
    ]
    assert refused.json()["detail"].startswith("3 readings name equipment")
    # eq-9 and eq-404 are in the dictionary but on no row
    accepted = client.post(URL, content=batch([0, 1, 1, 0]), headers={**gateway, "X-Batch-Id": "known"})
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["accepted"] == 4
    # a row without equipment is not the registry's to name: validation rejects it as missing (400)
    missing = client.post(URL, content=batch([0, None]), headers={**gateway, "X-Batch-Id": "missing"})
    assert missing.status_code == 400, missing.text
    assert [(f["loc"], f["msg"]) for f in missing.json()["fields"]] == [
        ("rows[1].equipment_id", "equipment_id is required")
    ]


def test_a_deprecated_version_still_takes_data_and_is_flagged(
    client: TestClient, gateway: dict[str, str], auth: Auth
) -> None:
    admin = auth("admin", org_id="org-operator")
    assert post(client, gateway, as_json(reading())).json()["deprecated_versions"] == []
    deprecated = client.post("/api/v1/standards/cnc-lathe/versions/1.0.0/deprecate", headers=admin)
    assert deprecated.status_code == 200, deprecated.text
    state_of(client.app).caches.reference.clear()  # not waiting out the cache
    answer = post(client, gateway, as_json(reading()), batch="b-2")
    assert answer.status_code == 202
    assert answer.json()["deprecated_versions"] == ["cnc-lathe@1.0.0"]


def test_a_factorys_batches_are_listed_newest_first_to_its_own(
    client: TestClient, gateway: dict[str, str], auth: Auth
) -> None:
    for n in range(3):
        assert post(client, gateway, as_json(reading()), batch=f"b-{n}").status_code == 202
    url, params = "/api/v1/ingest/batches", {"factory_id": FACTORY, "limit": 2}
    first = client.get(url, params=params, headers=gateway).json()
    assert [b["batch_id"] for b in first["items"]] == ["b-2", "b-1"]
    rest = client.get(url, params={**params, "cursor": first["next_cursor"]}, headers=gateway).json()
    assert [b["batch_id"] for b in rest["items"]] == ["b-0"] and rest["next_cursor"] is None
    owner = auth("sme", org_id="org-sme-1")
    assert len(client.get(url, params={"factory_id": FACTORY}, headers=owner).json()["items"]) == 3
    other = auth("sme", org_id="org-sme-2")
    assert client.get(url, params={"factory_id": FACTORY}, headers=other).json()["items"] == []
    assert client.get(url, params={"factory_id": FACTORY}).status_code == 401
