"""`smartmfg run-distributed` for real: every service its own process, the gateway proxying, two lake
writers, on PostgreSQL, Kafka, MinIO and Keycloak.

One scenario across the processes: an equipment model published, an edge gateway's batch uploaded
(ingest → Kafka → writer → Iceberg on MinIO), a record's KPI measured from it (deployments → analytics),
the model's portal page; then one service SIGKILLed: its routes answer 503 with Retry-After and the others
keep working; the supervisor restarts it and everything answers again; Ctrl-C stops every process.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from platform_api.registry import SERVICE_MODULES
from tests.e2e.distributed import Platform, eventually, gateway_token, pids_of, run_distributed
from tests.e2e.test_distributed import _keycloak_token, database
from tests.factories import company_body, deployment_body
from tests.workers import PLATFORM_PROCESSES

# Not serial: it kills only processes of its own, and names its database, topics and bucket with a suffix.
pytestmark = [pytest.mark.e2e, pytest.mark.servers, pytest.mark.xdist_group(PLATFORM_PROCESSES)]

FACTORY = "factory-sme-1-a"  # the factory the Keycloak realm's gateway client edge-gw-demo-1 uploads for

__all__ = ["database"]  # the fixture, imported for its name


KPI_LATHE = {
    "id": "kpi-lathe",
    "equipment_type": "KPI_LATHE",
    "name": {"ko": "분산 선반", "en": "Distributed lathe"},
    "version": "1.0.0",
    "ideal_cycle_time_s": 60.0,
    "items": [
        {"id": "parts", "name": {"ko": "생산 수량", "en": "Parts"}, "category": "EVENT", "data_type": "int"}
        | {"role": "part_count", "unit": "count"},
        {"id": "rejects", "name": {"ko": "불량 수량", "en": "Rejects"}, "category": "EVENT"}
        | {"data_type": "int", "role": "reject_count", "unit": "count"},
    ],
}


def _readings(day: str, batch: int) -> dict[str, Any]:
    # parts 60 + 60 + 30 + 5 (a counter reset to 0, then 5) + 15 = 170; rejects 4 + 3 = 7
    points = [
        ("parts", "07:59", 1000),
        ("parts", "09:00", 1060),
        ("parts", "10:00", 1120),
        ("parts", "11:00", 1150),
        ("parts", "11:30", 5),
        ("parts", "11:59", 20),
        ("rejects", "07:59", 10),
        ("rejects", "10:00", 14),
        ("rejects", "11:59", 17),
    ]
    return {
        "readings": [
            {
                "equipment_id": f"eq-{batch}",
                "model_id": "kpi-lathe",
                "model_version": "1.0.0",
                "item_id": item,
                "ts": f"{day}T{hhmm}:00Z",
                "value": value,
                "unit": "count",
            }
            for item, hhmm, value in points
        ]
    }


@pytest.fixture
def platform(database: str, tmp_path: Path, keycloak_started: None) -> Iterator[Platform]:
    # The outage lasts the delay plus the new process's start-up (seconds): the 503 is seen within it.
    with run_distributed(database, tmp_path, restart_delay=2) as running:
        yield running


def test_run_distributed_serves_fails_over_and_stops(platform: Platform) -> None:
    base, log, proc = platform
    admin = {"Authorization": f"Bearer {_keycloak_token('admin1')}"}
    sme = {"Authorization": f"Bearer {_keycloak_token('sme1')}"}
    vendor = {"Authorization": f"Bearer {_keycloak_token('vendor1')}"}
    gateway = {"Authorization": f"Bearer {gateway_token()}", "X-Factory-Id": FACTORY}
    pids = pids_of(log)
    assert set(pids) == {"gateway", *SERVICE_MODULES, "writer-1", "writer-2"}
    assert len(set(pids.values())) == len(SERVICE_MODULES) + 3, "every service is its own process"

    with httpx.Client(base_url=base, timeout=60) as http:
        made = http.post("/api/v1/standards", json=KPI_LATHE, headers=admin)
        assert made.status_code == 201, made.text
        published = http.post("/api/v1/standards/kpi-lathe/versions/1.0.0/publish", headers=admin)
        assert published.status_code == 200, published.text
        for headers, body in (
            (sme, company_body(company_id="org-sme-1", kind="sme", brn_first9="123456789", region="30")),
            (vendor, company_body(company_id="org-vendor-1", brn_first9="220816251")),
        ):
            made = http.post("/api/v1/companies", json=body, headers=headers)
            assert made.status_code == 201, made.text
        site = {"id": FACTORY, "name": "대성정밀 제1공장", "region_code": "30", "industry_code": "C29"}
        made = http.post("/api/v1/companies/org-sme-1/factories", json=site, headers=sme)
        assert made.status_code == 201, made.text

        # upload → Kafka → a writer process → Iceberg on MinIO → DuckDB in the analytics process
        sent = http.post(
            "/api/v1/ingest/batches", json=_readings("2025-11-10", 1), headers=gateway | {"X-Batch-Id": "d-1"}
        )
        assert sent.status_code == 202, sent.text
        window = {"factory_id": FACTORY, "from": "2025-11-10T00:00:00Z", "to": "2025-11-11T00:00:00Z"}

        def landed() -> int:
            answer = http.get("/api/v1/analytics/readings", params=window | {"limit": 200}, headers=sme)
            return len(answer.json()["items"]) if answer.status_code == 200 else 0

        assert eventually(lambda: landed() == 9, "the batch in the lake") is True

        # a record's KPI measured from that telemetry: the deployments process asks the analytics process
        created = http.post(
            "/api/v1/deployments", json=deployment_body(region="30", supplier="org-vendor-1"), headers=sme
        )
        assert created.status_code == 201, created.text
        record_id = created.json()["id"]
        hours = {"start": "2025-11-10T08:00:00Z", "end": "2025-11-10T12:00:00Z"}
        measured = http.post(
            f"/api/v1/deployments/{record_id}/kpis/defect_rate/measure",
            json={"baseline": hours, "after": hours},
            headers=sme,
        )
        assert measured.status_code == 200, measured.text
        kpi = next(k for k in measured.json()["kpis"] if k["kind"] == "defect_rate")
        assert kpi["source"] == "telemetry"
        assert kpi["baseline"] == pytest.approx(100 * 7 / 170, rel=1e-6)  # 7 rejects of 170 parts

        # the portal (in the gateway) renders the model it reads from the standards process
        page = http.get("/standards/kpi-lathe")
        assert page.status_code == 200 and "분산 선반" in page.text

        # one service down: its routes answer 503 and say when to retry; the others keep working
        os.kill(pids["deployments"], signal.SIGKILL)
        down = eventually(
            lambda: (r := http.get("/api/v1/deployments")).status_code == 503 and r, "503 while down", 5
        )
        assert down.headers["Retry-After"] == "5"
        assert down.json()["error"] == "ServiceUnavailable"
        assert http.get("/api/v1/standards/kpi-lathe", headers=admin).status_code == 200
        again = http.post(
            "/api/v1/ingest/batches", json=_readings("2025-11-11", 2), headers=gateway | {"X-Batch-Id": "d-2"}
        )
        assert again.status_code == 202, again.text

        # restarted by the supervisor: the record and its measured KPI are there again
        back = eventually(
            lambda: (r := http.get(f"/api/v1/deployments/{record_id}", headers=sme)).status_code == 200 and r,
            "deployments back",
        )
        assert any(k["kind"] == "defect_rate" and k["source"] == "telemetry" for k in back.json()["kpis"])
        assert pids_of(log)["deployments"] != pids["deployments"]
        assert "deployments: exited with -9" in log.read_text()

    # Ctrl-C: every process stops, the supervisor last
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 0
    assert "[supervisor] all processes stopped" in log.read_text()
    for name, pid in pids_of(log).items():
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
            pytest.fail(f"{name} (pid {pid}) outlived the supervisor")
