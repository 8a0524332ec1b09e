"""The use-cases API (AI 활용 사례) against SQLite and real PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Auth
from tests.factories import model_body, usecase_body
from tests.services.deployments.conftest import build_world

URL = "/api/v1/usecases"


@pytest.fixture
def vendor(auth: Auth) -> dict[str, str]:
    return auth("vendor", org_id="org-vendor-3")


@pytest.fixture
def admin(auth: Auth) -> dict[str, str]:
    return auth("admin", org_id="org-operator")


def create(client: TestClient, headers: dict[str, str], *, publish: bool = True, **kw: object) -> dict:
    response = client.post(URL, json=usecase_body(**kw), headers=headers)  # type: ignore[arg-type]
    assert response.status_code == 201, response.text
    case = response.json()
    if publish:
        answer = client.post(f"{URL}/{case['id']}/publish", headers=headers)
        assert answer.status_code == 200, answer.text
        case = answer.json()
    return case


def test_create_computes_effects_and_starts_as_private_draft(
    client: TestClient, vendor: dict[str, str], auth: Auth
) -> None:
    case = create(client, vendor, publish=False)
    assert case["status"] == "draft" and case["published_at"] is None
    assert case["owner_org_id"] == "org-vendor-3"
    defect, on_time = case["effects"]
    assert defect["improvement_pct"] == pytest.approx(61.29, abs=0.01)  # 3.1 → 1.2, lower is better
    assert on_time["improvement_pct"] == pytest.approx(9.09, abs=0.01)  # 88 → 96, higher is better
    assert client.get(f"{URL}/{case['id']}").status_code == 404
    assert client.get(f"{URL}/{case['id']}", headers=auth("vendor", org_id="org-vendor-9")).status_code == 404
    assert client.get(f"{URL}/{case['id']}", headers=vendor).json() == case
    assert client.get(URL).json()["items"] == []
    assert [c["id"] for c in client.get(URL, headers=vendor).json()["items"]] == [case["id"]]
    assert client.get(f"{URL}/search", params={"q": "용접"}).json()["items"] == []
    assert len(client.get(f"{URL}/search", params={"q": "용접"}, headers=vendor).json()["items"]) == 1


def test_publish_unpublish_cycle(client: TestClient, vendor: dict[str, str], auth: Auth) -> None:
    case = create(client, vendor)
    assert case["status"] == "published" and case["published_at"]
    assert client.get(f"{URL}/{case['id']}").json()["status"] == "published"
    assert client.post(f"{URL}/{case['id']}/publish", headers=vendor).status_code == 409
    other = auth("vendor", org_id="org-vendor-9")
    assert client.post(f"{URL}/{case['id']}/unpublish", headers=other).status_code == 403
    assert client.post(f"{URL}/{case['id']}/unpublish", headers=vendor).json()["status"] == "draft"
    assert client.post(f"{URL}/{case['id']}/unpublish", headers=vendor).status_code == 409
    assert client.get(f"{URL}/{case['id']}").status_code == 404


def test_publishing_needs_english_text(client: TestClient, vendor: dict[str, str]) -> None:
    case = create(client, vendor, publish=False, title_en=None)
    answer = client.post(f"{URL}/{case['id']}/publish", headers=vendor)
    assert answer.status_code == 422
    assert [f["loc"] for f in answer.json()["fields"]] == ["body.title.en"]
    fixed = client.patch(
        f"{URL}/{case['id']}", json={"title": {"ko": "용접", "en": "Welding"}}, headers=vendor
    )
    assert fixed.status_code == 200, fixed.text
    assert client.post(f"{URL}/{case['id']}/publish", headers=vendor).status_code == 200
    cleared = client.patch(f"{URL}/{case['id']}", json={"summary": {"ko": "요약"}}, headers=vendor)
    assert cleared.status_code == 422 and cleared.json()["fields"][0]["loc"] == "body.summary.en"


def test_region_browse_counts_published_cases_in_all_17_regions(
    client: TestClient, vendor: dict[str, str]
) -> None:
    create(client, vendor, region="11")
    create(client, vendor, region="11")
    create(client, vendor, region="48")
    create(client, vendor, region="26", publish=False)
    items = client.get(f"{URL}/regions").json()["items"]
    assert len(items) == 17
    counts = {r["code"]: r["count"] for r in items}
    assert counts["11"] == 2 and counts["48"] == 1 and counts["26"] == 0
    seoul = next(r for r in items if r["code"] == "11")
    assert seoul["ko"] == "서울특별시" and seoul["en"]
    listed = client.get(URL, params={"region": "11"}).json()["items"]
    assert len(listed) == 2 and {c["region_code"] for c in listed} == {"11"}


def test_taxonomy_names_and_counts(client: TestClient, vendor: dict[str, str]) -> None:
    create(client, vendor, problem_type="predictive_maintenance", technique="time_series_forecasting")
    taxonomy = client.get(f"{URL}/taxonomy").json()
    problems = {p["code"]: p for p in taxonomy["problem_types"]}
    assert problems["predictive_maintenance"] == {
        "code": "predictive_maintenance",
        "ko": "예지 보전",
        "en": "Predictive maintenance",
        "count": 1,
    }
    assert problems["quality_inspection"]["count"] == 0
    assert {t["code"] for t in taxonomy["techniques"]} >= {"anomaly_detection", "large_language_model"}


def test_filters(client: TestClient, vendor: dict[str, str], auth: Auth) -> None:
    a = create(client, vendor, problem_type="predictive_maintenance", technique="anomaly_detection")
    b = create(client, vendor, supplier_company_id="org-vendor-7", industry_code="C10")
    other = create(client, auth("sme", org_id="org-sme-2"), technique="gradient_boosting")

    def ids(**params: str) -> set[str]:
        return {c["id"] for c in client.get(URL, params=params).json()["items"]}

    assert ids(problem_type="predictive_maintenance") == {a["id"]}
    assert ids(technique="gradient_boosting") == {other["id"]}
    assert ids(supplier="org-vendor-7") == {b["id"]}
    assert ids(industry="C10") == {b["id"]}
    assert ids(owner_org_id="org-sme-2") == {other["id"]}
    assert ids(status="draft") == set()


def test_search_korean_compounds_english_plurals_and_ranking(
    client: TestClient, vendor: dict[str, str]
) -> None:
    weld = create(client, vendor, title_ko="용접불량 예측 AI", title_en="Weld defects prediction")
    paint = create(
        client,
        vendor,
        title_ko="도장 공정 최적화",
        title_en="Paint process optimisation",
        summary={"ko": "도장 라인의 용접 후 공정 조건을 최적화했습니다.", "en": "Paint line settings."},
        problem_type="process_optimization",
        technique="gradient_boosting",
        effects=[
            {"metric": {"ko": "도막 편차", "en": "Coating spread"}, "unit": "um", "before": 12, "after": 7}
        ],
    )

    def hits(q: str) -> list[dict]:
        answer = client.get(f"{URL}/search", params={"q": q})
        assert answer.status_code == 200, answer.text
        return answer.json()["items"]

    found = hits("용접 불량")  # spaced query, compound in the title
    assert found[0]["case"]["id"] == weld["id"]
    assert found[0]["matched"] == ["용접", "불량"]
    # "weld" is "용접" (a synonym): the paint case's Korean summary mentions welding, in second place.
    assert [h["case"]["id"] for h in hits("weld defect")] == [weld["id"], paint["id"]]
    assert hits("welding defects")[0]["matched"] == ["welding", "defects"]
    assert [h["case"]["id"] for h in hits("용접")] == [weld["id"], paint["id"]]  # title outranks summary
    assert hits("용접")[0]["score"] > hits("용접")[1]["score"]
    assert [h["case"]["id"] for h in hits("예지 보전")] == []
    assert [h["case"]["id"] for h in hits("Gradient Boosting")] == [paint["id"]]  # technique name
    assert hits("경상남도")[0]["case"]["region_code"] == "48"


def test_search_pages_and_rejects_empty_queries(client: TestClient, vendor: dict[str, str]) -> None:
    for n in range(5):
        create(client, vendor, title_ko=f"용접 사례 {n}")
    first = client.get(f"{URL}/search", params={"q": "용접", "limit": 3}).json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    second = client.get(
        f"{URL}/search", params={"q": "용접", "limit": 3, "cursor": first["next_cursor"]}
    ).json()
    assert len(second["items"]) == 2 and second["next_cursor"] is None
    assert not {h["case"]["id"] for h in first["items"]} & {h["case"]["id"] for h in second["items"]}
    empty = client.get(f"{URL}/search", params={"q": "!!! ??"})
    assert empty.status_code == 422 and empty.json()["fields"][0]["loc"] == "query.q"
    bad = client.get(f"{URL}/search", params={"q": "용접", "cursor": "%%%"})
    assert bad.status_code == 400 and bad.json()["fields"][0]["loc"] == "query.cursor"


def test_references_must_exist(
    client: TestClient, vendor: dict[str, str], admin: dict[str, str], auth: Auth
) -> None:
    refs = [{"model_id": "cnc-lathe", "version": "1.0.0"}]
    answer = client.post(URL, json=usecase_body(model_refs=refs, deployment_id="nope"), headers=vendor)
    assert answer.status_code == 422
    assert {f["loc"] for f in answer.json()["fields"]} == {
        "body.deployment_id",
        "body.equipment_model_refs[0]",
    }
    assert client.post("/api/v1/standards", json=model_body(), headers=vendor).status_code == 201
    # A draft record whose supplier is the vendor: the vendor may cite it (registered SME, vendor, factory).
    dep_id = build_world(client, auth).create(admin, owner_org_id="org-sme-1")["id"]
    case = create(client, vendor, publish=False, model_refs=refs, deployment_id=dep_id)
    assert case["equipment_model_refs"] == refs and case["deployment_id"] == dep_id
    assert [
        c["id"] for c in client.get(URL, params={"model_id": "cnc-lathe"}, headers=vendor).json()["items"]
    ] == [case["id"]]


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"problem_type": "telepathy"}, "body.problem_type"),
        ({"technique": "magic"}, "body.technique"),
        ({"region_code": "99"}, "body.region_code"),
        ({"industry_code": "C99"}, "body.industry_code"),
        ({"effects": []}, "body.effects"),
        (
            {"effects": [{"metric": {"ko": "x"}, "unit": "%", "before": -1, "after": 2}]},
            "body.effects[0].before",
        ),
        (
            {"equipment_model_refs": [{"model_id": "x", "version": "1"}]},
            "body.equipment_model_refs[0].model_id",
        ),
        ({"title": {"ko": ""}}, "body.title.ko"),
        ({"surprise": 1}, "body.surprise"),
    ],
)
def test_bad_input_names_the_field(
    client: TestClient, vendor: dict[str, str], change: dict, loc: str
) -> None:
    answer = client.post(URL, json=usecase_body(**change), headers=vendor)
    assert answer.status_code == 422, answer.text
    assert loc in {f["loc"] for f in answer.json()["fields"]}, answer.json()


def test_writes_need_a_writer_who_owns_the_case(
    client: TestClient, vendor: dict[str, str], auth: Auth
) -> None:
    assert client.post(URL, json=usecase_body()).status_code == 401
    assert client.post(URL, json=usecase_body(), headers=auth("public")).status_code == 403
    case = create(client, vendor)
    other = auth("sme", org_id="org-sme-2")
    assert client.patch(f"{URL}/{case['id']}", json={"data_used": []}, headers=other).status_code == 403
    assert client.delete(f"{URL}/{case['id']}", headers=other).status_code == 403
    assert client.delete(f"{URL}/{case['id']}", headers=vendor).status_code == 204
    assert client.get(f"{URL}/{case['id']}", headers=vendor).status_code == 404
    assert client.get(f"{URL}/search", params={"q": "용접"}).json()["items"] == []


def test_pagination_is_stable(client: TestClient, vendor: dict[str, str]) -> None:
    made = {create(client, vendor)["id"] for _ in range(5)}
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        page = client.get(URL, params=params).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(made) and len(seen) == 5


def test_search_hits_hold_the_cases_own_answer_before_and_after_an_edit(
    client: TestClient, vendor: dict[str, str]
) -> None:
    """A hit's case is rendered once per version (services.kit.rendered), shared with the list."""
    case = create(client, vendor, title_ko="용접 불량 예측 AI")

    def hit() -> dict:
        answer = client.get(f"{URL}/search", params={"q": "용접 불량"})
        assert answer.status_code == 200, answer.text
        (found,) = answer.json()["items"]
        return dict(found)

    for _ in range(2):
        assert hit()["case"] == client.get(f"{URL}/{case['id']}").json()
        assert [i for i in client.get(URL).json()["items"] if i["id"] == case["id"]] == [hit()["case"]]
    edited = client.patch(
        f"{URL}/{case['id']}",
        json={"title": {"ko": "용접 불량 검출 AI", "en": "Weld defects"}},
        headers=vendor,
    )
    assert edited.status_code == 200, edited.text
    after = hit()
    assert after["case"] == client.get(f"{URL}/{case['id']}").json() == edited.json()
    assert after["matched"] == ["용접", "불량"] and after["score"] > 0


def test_kept_search_answers_are_per_viewer(
    client: TestClient, vendor: dict[str, str], admin: dict[str, str], auth: Auth
) -> None:
    """A search's answer is kept per set of visible cases: an organisation that happens to be called
    "admin" never gets the answer kept for the admins, who see every draft."""
    draft = create(client, vendor, publish=False, title_ko="용접 불량 초안")

    def found(headers: dict[str, str] | None = None) -> list[str]:
        answer = client.get(f"{URL}/search", params={"q": "용접 불량"}, headers=headers or {})
        assert answer.status_code == 200, answer.text
        return [h["case"]["id"] for h in answer.json()["items"]]

    assert found(admin) == [draft["id"]] and found(vendor) == [draft["id"]]
    assert found(auth("vendor", org_id="admin")) == [] and found() == []
