"""KPIs measured from telemetry, on real lakes (Iceberg on MinIO with its catalog in PostgreSQL, and the
embedded one) seeded with the hand-computed data set of the analytics tests: the evidence is stored, re-runs
give the same figures on the stored snapshot after the lake moved on, and a KPI cannot claim telemetry
without evidence."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from catalog.lake import READINGS_SCHEMA
from platform_api.app import create_app
from services.kit.app_state import state_of
from services.kit.tokens import DEV_ISSUER
from tests.catalog.conftest import LAKES, LakeSetup, make_setup
from tests.catalog.test_kpis import DAY, FACTORY, MODELS, ORG, hand_set, rows
from tests.factories import company_body, deployment_body

URL = "/api/v1/deployments"
BASELINE = {"start": "2025-11-10T08:00:00Z", "end": "2025-11-10T10:30:00Z"}
AFTER = {"start": "2025-11-10T10:30:00Z", "end": "2025-11-10T12:00:00Z"}
SITE = {"factory_id": FACTORY, "name": "KPI 공장", "region_code": "48", "industry_code": "C29"}


@dataclass
class Lab:
    setup: LakeSetup
    client: TestClient

    def headers(self, *roles: str, org_id: str, **extra: Any) -> dict[str, str]:
        issuer = state_of(self.client.app).get(DEV_ISSUER)
        token = issuer.issue(
            subject=f"{org_id}-{roles[0]}", roles=list(roles), org_id=org_id, username=f"{org_id}-u", **extra
        )
        return {"Authorization": f"Bearer {token}"}

    def analytics(self, headers: dict[str, str], kpi: str, snapshot_id: int | None = None) -> dict[str, Any]:
        body = {
            "factory_id": FACTORY,
            "kpi": kpi,
            "baseline": BASELINE,
            "after": AFTER,
            "snapshot_id": snapshot_id,
        }
        answer = self.client.post("/api/v1/analytics/kpis/measure", json=body, headers=headers)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


@pytest.fixture(scope="module", params=LAKES)
def lab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A platform on PostgreSQL with its lake on MinIO ("minio"), or on SQLite and a local lake ("local")."""
    directory: Path = tmp_path_factory.mktemp(f"evidence-{request.param}")
    with (
        make_setup(request, request.param, directory) as setup,
        TestClient(create_app(setup.settings)) as client,
    ):
        lab = Lab(setup, client)
        admin = lab.headers("admin", org_id="org-operator")
        for body in MODELS:
            assert client.post("/api/v1/standards", json=body, headers=admin).status_code == 201
            assert (
                client.post(
                    f"/api/v1/standards/{body['id']}/versions/1.0.0/publish", headers=admin
                ).status_code
                == 200
            )
        setup.lake().readings().append(hand_set(), snapshot_properties={"smartmfg.test": "1"})
        sme, vendor = lab.headers("sme", org_id=ORG), lab.headers("vendor", org_id="org-vendor-3")
        made = client.post(
            "/api/v1/companies",
            json=company_body(company_id=ORG, kind="sme", brn_first9="523456789"),
            headers=sme,
        )
        assert made.status_code == 201, made.text
        assert (
            client.post(
                f"/api/v1/companies/{ORG}/factories",
                json={"id": FACTORY, **{k: v for k, v in SITE.items() if k != "factory_id"}},
                headers=sme,
            ).status_code
            == 201
        )
        assert client.post("/api/v1/companies", json=company_body(), headers=vendor).status_code == 201
        yield lab


def _record(lab: Lab) -> dict[str, Any]:
    body = deployment_body(sme_company_id=ORG, factory=SITE)
    answer = lab.client.post(URL, json=body, headers=lab.headers("sme", org_id=ORG))
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_a_measured_kpi_stores_its_evidence_and_reruns_on_its_snapshot(lab: Lab) -> None:
    sme = lab.headers("sme", org_id=ORG)
    record = _record(lab)
    url = f"{URL}/{record['id']}/kpis"
    measured = lab.client.post(
        f"{url}/defect_rate/measure", json={"baseline": BASELINE, "after": AFTER}, headers=sme
    )
    assert measured.status_code == 200, measured.text
    kpi = next(k for k in measured.json()["kpis"] if k["kind"] == "defect_rate")
    direct = lab.analytics(sme, "defect_rate", kpi["evidence"]["snapshot_id"])
    assert kpi["source"] == "telemetry" and kpi["unit"] == direct["unit"]
    assert (kpi["baseline"], kpi["after"]) == (direct["before"], direct["after"])
    evidence = kpi["evidence"]
    assert evidence["metric"] == "defect_rate" and evidence["factory_id"] == FACTORY
    assert evidence["query"] == direct["query"] and evidence["readings_used"] == direct["readings_used"] > 0
    assert evidence["rows_used"] == direct["rows_used"]
    assert evidence["baseline_period"]["start"].startswith("2025-11-10T08:00")
    assert kpi["telemetry_ref"] == f"analytics:defect_rate@{evidence['snapshot_id']}"
    # The lake moves on: more rejects in the after period.
    extra = rows("eq-a", "kpi-lathe", "rejects", [("11:58", 60)], DAY)
    lab.setup.lake().readings().append(
        pa.Table.from_pylist(extra, schema=READINGS_SCHEMA), snapshot_properties={"smartmfg.test": "2"}
    )
    now = lab.analytics(sme, "defect_rate")
    assert now["snapshot_id"] != evidence["snapshot_id"] and now["after"] != kpi["after"]
    # Anyone who may read the KPI re-runs it: the stored snapshot still gives the stored figures.
    for who in (sme, lab.headers("admin", org_id="org-operator")):
        rerun = lab.client.post(f"{url}/defect_rate/rerun", headers=who)
        assert rerun.status_code == 200, rerun.text
        assert rerun.json()["matches"] is True and rerun.json()["rerun"] == rerun.json()["stored"]
        assert rerun.json()["stored"]["after"] == kpi["after"]
    # Measuring again takes the current snapshot.
    again = lab.client.post(
        f"{url}/defect_rate/measure", json={"baseline": BASELINE, "after": AFTER}, headers=sme
    ).json()
    newer = next(k for k in again["kpis"] if k["kind"] == "defect_rate")
    assert newer["evidence"]["snapshot_id"] == now["snapshot_id"] and newer["after"] == now["after"]


def test_telemetry_needs_evidence_and_the_right_measure(lab: Lab) -> None:
    sme = lab.headers("sme", org_id=ORG)
    record = _record(lab)
    url = f"{URL}/{record['id']}"
    periods = {"baseline": BASELINE, "after": AFTER}
    claimed = lab.client.put(
        f"{url}/kpis/energy",
        json={"baseline": 2, "after": 1, "unit": "kWh/ea", "source": "telemetry"},
        headers=sme,
    )
    assert claimed.status_code == 422 and claimed.json()["fields"][0]["loc"] == "body.source"
    cost = lab.client.post(f"{url}/kpis/cost/measure", json=periods, headers=sme)
    assert cost.status_code == 422 and cost.json()["fields"][0]["loc"] == "path.kind"
    wrong = lab.client.post(f"{url}/kpis/defect_rate/measure", json={**periods, "metric": "oee"}, headers=sme)
    assert wrong.status_code == 422 and wrong.json()["fields"][0]["loc"] == "body.metric"
    empty = {"baseline": BASELINE, "after": {"start": "2025-12-01T00:00:00Z", "end": "2025-12-02T00:00:00Z"}}
    nothing = lab.client.post(f"{url}/kpis/productivity/measure", json=empty, headers=sme)
    assert nothing.status_code == 422 and nothing.json()["fields"][0]["loc"] == "body.after"
    assert lab.client.post(f"{url}/kpis/defect_rate/rerun", headers=sme).status_code == 404  # no evidence
    # The supplier is a party of the record, but the analytics service refuses it the SME's telemetry.
    vendor = lab.headers("vendor", org_id="org-vendor-3")
    refused = lab.client.post(f"{url}/kpis/productivity/measure", json=periods, headers=vendor)
    assert refused.status_code == 403, refused.text
    outsider = lab.headers("sme", org_id="org-sme-9")
    assert (
        lab.client.post(f"{url}/kpis/productivity/measure", json=periods, headers=outsider).status_code == 404
    )
    # Measured productivity is the throughput; sent back unchanged in a patch it keeps its evidence.
    measured = lab.client.post(f"{url}/kpis/productivity/measure", json=periods, headers=sme).json()
    kept = [
        {k: v for k, v in kpi.items() if k in ("kind", "baseline", "after", "unit", "source")}
        for kpi in measured["kpis"]
    ]
    patched = lab.client.patch(url, json={"kpis": kept, "sme_name": "KPI 정밀"}, headers=sme).json()
    productivity = next(k for k in patched["kpis"] if k["kind"] == "productivity")
    assert productivity["source"] == "telemetry" and productivity["evidence"]["metric"] == "throughput"
    # Changed figures are self-reported again, without evidence.
    kept[0]["after"] += 1
    changed = lab.client.patch(url, json={"kpis": kept}, headers=sme)
    assert changed.status_code == 422 and changed.json()["fields"][0]["loc"] == "body.kpis[0].source"
    kept[0]["source"] = "self_reported"
    relabelled = lab.client.patch(url, json={"kpis": kept}, headers=sme).json()
    assert next(k for k in relabelled["kpis"] if k["kind"] == "productivity")["evidence"] is None


def test_an_agency_verifies_a_kpi_and_the_track_record_counts_the_evidence(lab: Lab) -> None:
    sme = lab.headers("sme", org_id=ORG)
    record = _record(lab)
    url = f"{URL}/{record['id']}"
    lab.client.post(
        f"{url}/kpis/defect_rate/measure", json={"baseline": BASELINE, "after": AFTER}, headers=sme
    )
    seoul = lab.headers("agency", org_id="org-agency-11", regions=["11"])
    assert lab.client.post(f"{url}/kpis/defect_rate/verify", headers=seoul).status_code == 404
    agency = lab.headers("agency", org_id="org-agency", regions=["48"])
    verified = lab.client.post(f"{url}/kpis/defect_rate/verify", headers=agency)
    assert verified.status_code == 200, verified.text
    kpi = next(k for k in verified.json()["kpis"] if k["kind"] == "defect_rate")
    assert (
        kpi["source"] == "verified" and kpi["verified_by"] == "org-agency-u" and kpi["evidence"] is not None
    )
    assert lab.client.post(f"{url}/kpis/cost/verify", headers=agency).status_code == 404
    before = lab.client.get(f"{URL}/suppliers/org-vendor-3/track-record").json()
    admin = lab.headers("admin", org_id="org-operator")
    stages = [
        {
            **{k: s[k] for k in ("code", "planned_start", "planned_end")},
            "actual_start": s["planned_start"],
            "actual_end": s["planned_end"],
        }
        for s in verified.json()["stages"]
    ]
    assert lab.client.patch(url, json={"stages": stages}, headers=sme).status_code == 200
    for code in ("DESIGN", "INSPECT", "SETTLE"):
        files = {"file": (f"{code}.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")}
        assert (
            lab.client.post(
                f"{url}/documents", files=files, data={"stage_code": code}, headers=sme
            ).status_code
            == 201
        )
    for action in ("submit", "confirm", "verify", "publish"):
        assert lab.client.post(f"{url}/{action}", headers=admin).status_code == 200, action
    after = lab.client.get(f"{URL}/suppliers/org-vendor-3/track-record").json()
    assert after["deployment_count"] == before["deployment_count"] + 1
    assert after["telemetry_backed_kpis"] == before["telemetry_backed_kpis"] + 1
    assert after["verified_kpis"] == before["verified_kpis"] + 1
