"""The KPI rows of the supplier's record form, through the whole app (SQLite and PostgreSQL): KPIs added,
edited and removed with the record, a figure that is not a number and the API's refusals named by the KPI
and its field in words with the values kept, a stale edit explained."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Auth
from tests.platform_api.portal.test_pages import _sign_in
from tests.platform_api.portal.test_workspace_vendor import DRAFT, NEW, _mine, _vendor1
from tests.platform_api.portal.test_workspaces import _tokens
from tests.services.deployments.conftest import URL, World

KPIS = {
    "kpi.productivity.baseline": "100",
    "kpi.productivity.after": "128",
    "kpi.productivity.unit": "ea/h",
    "kpi.defect_rate.baseline": "4.2",
    "kpi.defect_rate.after": "1.7",
    "kpi.defect_rate.unit": "%",
    "kpi.defect_rate.telemetry_ref": "line-2 vision inspection",
}


def _kpis(world: World, record_id: str) -> list[tuple[Any, ...]]:
    record = world.client.get(f"{URL}/{record_id}", headers=world.admin).json()
    return [(k["kind"], k["baseline"], k["after"], k["unit"], k["source"]) for k in record["kpis"]]


def test_kpis_are_added_edited_and_removed_in_the_record_form(client: TestClient, auth: Auth) -> None:
    world, _ = _vendor1(client, auth)
    _sign_in(client, "vendor1")
    form = client.get(NEW).text
    assert "<legend>생산성</legend>" in form and "<legend>에너지 사용량</legend>" in form
    assert '<option value="ea/h">개/시간</option>' in form and '<option value="KRW">원</option>' in form
    tokens = _tokens(form, NEW)

    typo = client.post(NEW, data={**tokens, **DRAFT, **KPIS, "kpi.defect_rate.baseline": "4,2%"})
    assert typo.status_code == 422
    assert (
        '<a href="#kpi.defect_rate.baseline">불량률 · 도입 전</a>: 숫자를 입력하십시오 (예: 12.5).'
        in typo.text
    )
    assert 'value="4,2%"' in typo.text and 'value="128"' in typo.text, "the values typed are kept"
    negative = client.post(NEW, data={**tokens, **DRAFT, **KPIS, "kpi.defect_rate.after": "-1"})
    assert negative.status_code == 422, "the API's rule, named by the row it came from"
    assert '<a href="#kpi.defect_rate.after">불량률 · 도입 후</a>: ' in negative.text
    no_unit = client.post(NEW, data={**tokens, **DRAFT, **KPIS, "kpi.productivity.unit": ""})
    assert (
        no_unit.status_code == 422 and '<a href="#kpi.productivity.unit">생산성 · 단위</a>: ' in no_unit.text
    )
    assert _mine(world, "draft") == [], "nothing was filed"

    created = client.post(NEW, data={**tokens, **DRAFT, **KPIS}, follow_redirects=False)
    assert created.status_code == 303, created.text
    page_path = created.headers["location"].split("?")[0]
    record_id = page_path.rsplit("/", 1)[1]
    assert _kpis(world, record_id) == [
        ("defect_rate", 4.2, 1.7, "%", "self_reported"),
        ("productivity", 100.0, 128.0, "ea/h", "self_reported"),
    ]

    edit_path = f"{page_path}/edit"
    form = client.get(edit_path).text
    assert 'id="kpi.productivity.after" name="kpi.productivity.after" value="128"' in form
    assert 'value="line-2 vision inspection"' in form and '<span class="badge">자체 보고</span>' in form
    tokens = _tokens(form, edit_path)
    changed = {
        **KPIS,
        "kpi.productivity.after": "131.5",
        "kpi.defect_rate.remove": "1",
        "kpi.energy.baseline": "5200",
        "kpi.energy.after": "4700",
        "kpi.energy.unit": "kWh",
    }
    meanwhile = client.patch(f"{URL}/{record_id}", json={"level_after": "중간2"}, headers=world.admin)
    assert meanwhile.status_code == 200, meanwhile.text
    stale = client.post(edit_path, data={**tokens, **DRAFT, **changed})
    assert stale.status_code == 412 and "다른 사람이 구축정보를 변경했습니다" in stale.text
    assert 'value="131.5"' in stale.text and 'value="5200"' in stale.text, "the values typed are kept"
    assert len(_kpis(world, record_id)) == 2

    tokens = _tokens(client.get(edit_path).text, edit_path)
    edited = client.post(edit_path, data={**tokens, **DRAFT, **changed}, follow_redirects=False)
    assert edited.headers["location"] == f"{page_path}?done=edited"
    assert _kpis(world, record_id) == [
        ("energy", 5200.0, 4700.0, "kWh", "self_reported"),
        ("productivity", 100.0, 131.5, "ea/h", "self_reported"),
    ]
    emptied = {"kpi.energy.baseline": "", "kpi.energy.after": "", "kpi.energy.unit": ""}
    form = client.get(edit_path).text
    kept = {**DRAFT, **KPIS, "kpi.productivity.after": "131.5", "kpi.defect_rate.remove": "1", **emptied}
    again = client.post(edit_path, data={**_tokens(form, edit_path), **kept}, follow_redirects=False)
    assert again.status_code == 303, "an emptied row removes its KPI"
    assert [k[0] for k in _kpis(world, record_id)] == ["productivity"]
    english = client.get(edit_path, params={"lang": "en"}).text
    assert "<legend>Outcomes (KPIs)</legend>" in english and "Remove this KPI" in english
