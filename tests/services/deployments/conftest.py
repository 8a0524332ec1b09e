"""A small world for deployment records: two SMEs with a factory each, two vendors (one designated), an
agency reviewer of 경남 and one of 서울, and helpers that take a record through its lifecycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from tests import snapshots
from tests.conftest import Auth
from tests.factories import company_body, deployment_body

URL = "/api/v1/deployments"
COMPANIES = "/api/v1/companies"
# Any document a test uploads: a minimal PDF.
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def signed_today() -> dict[str, str]:
    """A contract of today: org-vendor-9 is designated on that day (since yesterday)."""
    # Today in Korea: a designation is judged on the Korean day (KST), which starts 9 hours before UTC's.
    return {"number": "2026-SF-0001", "signed_on": datetime.now(KST).date().isoformat()}


KST = ZoneInfo("Asia/Seoul")


@dataclass
class World:
    client: TestClient
    sme: dict[str, str]  # org-sme-1, factory-sme-1-a in 48 (경남), C29
    sme2: dict[str, str]  # org-sme-2, factory-sme-2-a in 11 (서울)
    vendor: dict[str, str]  # org-vendor-3, not designated
    designated: dict[str, str]  # org-vendor-9, designated specialist company since yesterday
    outsider: dict[str, str]  # org-vendor-5, registered, no part in any record
    agency: dict[str, str]  # agency of 48, 26, 31
    agency_seoul: dict[str, str]
    admin: dict[str, str]

    def create(self, headers: dict[str, str] | None = None, **kw: Any) -> dict[str, Any]:
        answer = self.client.post(URL, json=deployment_body(**kw), headers=headers or self.sme)
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def act(self, record: dict[str, Any], action: str, headers: dict[str, str], **body: Any) -> Any:
        return self.client.post(f"{URL}/{record['id']}/{action}", json=body or None, headers=headers)

    def finish_stages(self, record: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
        """Every stage done as planned, and one evidence document for each."""
        stages = [
            {**_input(s), "actual_start": s["planned_start"], "actual_end": s["planned_end"]}
            for s in record["stages"]
        ]
        headers = headers or self.sme
        answer = self.client.patch(f"{URL}/{record['id']}", json={"stages": stages}, headers=headers)
        assert answer.status_code == 200, answer.text
        for stage in stages:
            upload = self.client.post(
                f"{URL}/{record['id']}/documents",
                files={"file": (f"{stage['code'].lower()}.pdf", PDF, "application/pdf")},
                data={"stage_code": stage["code"]},
                headers=headers,
            )
            assert upload.status_code == 201, upload.text
        return dict(self.client.get(f"{URL}/{record['id']}", headers=headers).json())

    def publish(self, record: dict[str, Any], *, drafter: dict[str, str] | None = None) -> dict[str, Any]:
        """draft → submitted → confirmed → verified → published by the right people."""
        drafter = drafter or self.sme
        other = self.vendor if record["drafted_by"] == "sme" else self.sme
        if record["supplier_company_ids"][0] == "org-vendor-9" and record["drafted_by"] == "sme":
            other = self.designated
        for action, who in (
            ("submit", drafter),
            ("confirm", other),
            ("verify", self.agency),
            ("publish", self.agency),
        ):
            answer = self.act(record, action, who)
            assert answer.status_code == 200, f"{action}: {answer.text}"
        return dict(answer.json())

    def published(self, **kw: Any) -> dict[str, Any]:
        return self.publish(self.finish_stages(self.create(**kw)))

    def live_on(self, record: dict[str, Any], inspected: date) -> dict[str, Any]:
        """The record with every stage done, its completion inspection ending on ``inspected`` (go-live)."""
        planned = next(s for s in record["stages"] if s["code"] == "INSPECT")["planned_end"]
        shift = (inspected - date.fromisoformat(planned)).days
        url = f"{URL}/{record['id']}"
        answer = self.client.patch(url, json={"stages": with_actuals(record, shift)}, headers=self.sme)
        assert answer.status_code == 200 and answer.json()["go_live"] == str(inspected), answer.text
        return dict(answer.json())


def with_actuals(record: dict[str, Any], shift_days: int) -> list[dict[str, Any]]:
    """The record's stages, each done ``shift_days`` after its planned dates."""
    stages = []
    for s in record["stages"]:
        start = date.fromisoformat(s["planned_start"]) + timedelta(days=shift_days)
        end = date.fromisoformat(s["planned_end"]) + timedelta(days=shift_days)
        stages.append(
            {
                **{k: s[k] for k in ("code", "planned_start", "planned_end")},
                "actual_start": str(start),
                "actual_end": str(end),
            }
        )
    return stages


def _input(stage: dict[str, Any]) -> dict[str, Any]:
    return {k: stage[k] for k in ("code", "planned_start", "planned_end", "actual_start", "actual_end")}


def designate(client: TestClient, admin: dict[str, str], company_id: str, since: date) -> None:
    """A designation in force from the Korean day ``since`` for three years, recorded by an admin as one
    decided before the platform (the workflow itself is the companies service's test subject)."""
    body = {
        "fields": ["INFO-MES"],
        "decided_on": since.isoformat(),
        "total_score": 90.0,
        "reason": "지정위원회 심의 결과 지정",
        "document_ref": "공고 제2026-1호",
    }
    answer = client.post(f"{COMPANIES}/{company_id}/designations/historical", json=body, headers=admin)
    assert answer.status_code == 201, answer.text


def seed_world(client: TestClient, auth: Auth) -> dict[str, dict[str, str]]:
    """Post the world's companies, factories and designation; the headers of its people, by World field."""
    sme = auth("sme", org_id="org-sme-1", username="sme1")
    sme2 = auth("sme", org_id="org-sme-2", username="sme2")
    vendor = auth("vendor", org_id="org-vendor-3", username="vendor3")
    designated = auth("vendor", org_id="org-vendor-9", username="vendor9")
    outsider = auth("vendor", org_id="org-vendor-5", username="vendor5")
    for headers, body in (
        (sme, company_body(company_id="org-sme-1", kind="sme", brn_first9="123456789")),
        (sme2, company_body(company_id="org-sme-2", kind="sme", brn_first9="223456789", region="11")),
        (vendor, company_body(company_id="org-vendor-3", brn_first9="220816251")),
        (designated, company_body(company_id="org-vendor-9", brn_first9="320816251")),
        (outsider, company_body(company_id="org-vendor-5", brn_first9="420816251")),
    ):
        assert client.post(COMPANIES, json=body, headers=headers).status_code == 201
    for company, factory, region, headers in (
        ("org-sme-1", "factory-sme-1-a", "48", sme),
        ("org-sme-2", "factory-sme-2-a", "11", sme2),
    ):
        site = {"id": factory, "name": f"{company} 제1공장", "region_code": region, "industry_code": "C29"}
        answer = client.post(f"{COMPANIES}/{company}/factories", json=site, headers=headers)
        assert answer.status_code == 201, answer.text
    admin = auth("admin", org_id="org-operator", username="admin1")
    designate(client, admin, "org-vendor-9", datetime.now(KST).date() - timedelta(days=1))
    return {
        "sme": sme,
        "sme2": sme2,
        "vendor": vendor,
        "designated": designated,
        "outsider": outsider,
        "agency": auth("agency", org_id="org-agency", regions=["48", "26", "31"], username="agency1"),
        "agency_seoul": auth("agency", org_id="org-agency-seoul", regions=["11"], username="agency-seoul"),
        "admin": admin,
    }


@pytest.fixture
@snapshots.seeded_by(seed_world)
def world(request: pytest.FixtureRequest, client: TestClient) -> World:
    """The world, posted once per session (tests/snapshots.py): the test's database starts with it."""
    return World(client=client, **snapshots.seeded(request))


def build_world(client: TestClient, auth: Auth) -> World:
    """The world posted on ``client``'s app, for a test that needs it beside other data of its own."""
    return World(client=client, **seed_world(client, auth))
