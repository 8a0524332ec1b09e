"""Demo deployment records in every state, taken through the deployments API like real users would (the seed's
admin token may act for every party and agency): actual stage dates, evidence documents, the lifecycle,
a revision, after-care tickets. Demo designations of past years are recorded through the companies service's
admin operation for designations decided before the platform existed."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from services.deployments.programmes import PROGRAMME_BY_CODE

URL = "/api/v1/deployments"
PDF = b"%PDF-1.4\n% smartmfg demo evidence\n%%EOF\n"
# The next step from each state on the way to publication.
NEXT = {"draft": "submit", "submitted": "confirm", "confirmed": "verify", "verified": "publish"}
PATH = {
    "draft": [],
    "returned": ["submit", "return"],
    "submitted": ["submit"],
    "confirmed": ["submit", "confirm"],
    "verified": ["submit", "confirm", "verify"],
    "published": ["submit", "confirm", "verify", "publish"],
    "revised": ["submit", "confirm", "verify", "publish"],
}


class DemoSeedError(RuntimeError):
    pass


def _ok(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.status_code >= 300:
        raise DemoSeedError(f"{what} answered {response.status_code}: {response.text[:500]}")
    body: dict[str, Any] = response.json()
    return body


async def designate_since(client: httpx.AsyncClient, company_id: str, since: date) -> None:
    """Designations of past years, recorded like those decided before the platform existed: consecutive
    3-year periods from ``since`` until one is in force today, each renewing the one before. A period
    recorded by an interrupted earlier run is refused as an overlap (409) and skipped."""
    start, today = since, date.today()
    while start <= today:
        body = {
            "fields": ["INFO-MES"],
            "decided_on": start.isoformat(),
            "total_score": 80.0,
            "reason": "데모 지정: 전문기업 지정위원회 심의 결과 지정",
            "document_ref": f"데모 공고 제{start.year}-{company_id}호",
        }
        answer = await client.post(f"/api/v1/companies/{company_id}/designations/historical", json=body)
        if answer.status_code != 409:
            _ok(answer, f"record designation of {company_id} from {start}")
        start = start.replace(year=start.year + 3)


def revised_title(title: dict[str, str]) -> dict[str, str]:
    """A corrected record's title: both languages say it was revised (a reader of either sees the same)."""
    return {"ko": f"{title['ko']} (개정)", "en": f"{title['en']} (revised)"}


async def demo_deployment(client: httpx.AsyncClient, item: dict[str, Any]) -> None:
    record = _ok(await client.post(URL, json=item["body"]), "POST /api/v1/deployments")
    url = f"{URL}/{record['id']}"
    programme = PROGRAMME_BY_CODE[item["body"]["programme_code"]]
    for stage in record["stages"]:
        if stage["code"] in programme.required_stages:
            files = {"file": (f"{stage['code'].lower()}-report.pdf", PDF, "application/pdf")}
            _ok(await client.post(f"{url}/documents", files=files, data={"stage_code": stage["code"]}), url)
    for action in PATH[item["state"]]:
        body = {"comment": "증빙 자료와 계약 금액을 다시 확인해 주세요"} if action == "return" else None
        _ok(await client.post(f"{url}/{action}", json=body), f"{action} {url}")
    if item["state"] == "revised":  # a published record corrected: revision 2, published again
        _ok(await client.patch(url, json={"title": revised_title(item["body"]["title"])}), f"PATCH {url}")
        for action in PATH["published"]:
            _ok(await client.post(f"{url}/{action}"), f"{action} {url}")
    for ticket in item["tickets"]:
        opened = _ok(await client.post(f"{url}/tickets", json=ticket["ticket"]), f"ticket {url}")
        if ticket["answer"]:
            answer = {"answer": ticket["answer"]}
            _ok(await client.post(f"{url}/tickets/{opened['id']}/answer", json=answer), "answer")
        if ticket["resolve"]:
            _ok(await client.post(f"{url}/tickets/{opened['id']}/resolve"), "resolve")


async def measure_demo_kpis(
    client: httpx.AsyncClient, items: list[dict[str, Any]], start: date, end: date
) -> int:
    """Measure the KPIs of the records whose factory's telemetry improves at their go-live: before from
    ``start`` to go-live, after from go-live to ``end``; the record, changed after publication, goes through
    the lifecycle again as revision 2. Idempotent: a record with measured KPIs is left alone."""
    measured = 0
    for item in items:
        if not item.get("measure_from"):
            continue
        body = item["body"]
        params = {"sme_company_id": body["sme_company_id"], "limit": 200}
        listed = _ok(await client.get(f"{URL}/workspace", params=params), "workspace")
        number = body["contract"]["number"]  # unique per demo record; the seed's admin sees contracts
        record = next(r for r in listed["items"] if (r["contract"] or {}).get("number") == number)
        url = f"{URL}/{record['id']}"
        if not any(k["source"] == "telemetry" for k in record["kpis"]):
            live = f"{item['measure_from']}T00:00:00+00:00"
            periods = {
                "baseline": {"start": f"{start.isoformat()}T00:00:00+00:00", "end": live},
                "after": {"start": live, "end": f"{end.isoformat()}T00:00:00+00:00"},
            }
            for kind in ("productivity", "defect_rate", "energy"):
                answer = await client.post(f"{url}/kpis/{kind}/measure", json=periods)
                if answer.status_code != 422:  # 422: the factory's telemetry does not define this KPI
                    record = _ok(answer, f"measure {kind} {url}")
        if record["status"] != "published" and any(k["source"] == "telemetry" for k in record["kpis"]):
            for action in PATH["published"][PATH["published"].index(NEXT[record["status"]]) :]:
                _ok(await client.post(f"{url}/{action}"), f"{action} {url}")
            measured += 1
    return measured
