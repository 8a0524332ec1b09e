"""``/usecases/facets`` and the sorted, searched list: counts by the database, drafts of others hidden."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Auth
from tests.factories import usecase_body

URL = "/api/v1/usecases"


def _case(client: TestClient, headers: dict[str, str], *, publish: bool = True, **overrides: Any) -> str:
    made = client.post(URL, json=usecase_body(**overrides), headers=headers)
    assert made.status_code == 201, made.text
    case_id = str(made.json()["id"])
    if publish:
        assert client.post(f"{URL}/{case_id}/publish", headers=headers).status_code == 200
    return case_id


def _counts(answer: dict[str, Any], facet: str) -> dict[str, int]:
    return {v["key"]: v["count"] for v in answer[facet]}


def test_facets_count_visible_cases_and_ignore_their_own_filter(client: TestClient, auth: Auth) -> None:
    vendor = auth("vendor", org_id="org-vendor-3")
    _case(client, vendor, region="48", title_ko="창원 용접 불량 예측")
    _case(
        client, vendor, region="48", problem_type="predictive_maintenance", title_ko="창원 베어링 예지 보전"
    )
    _case(client, vendor, region="11", technique="gradient_boosting", title_ko="서울 포장 불량 검사")
    _case(client, vendor, region="11", publish=False, title_ko="서울 초안 불량 사례")

    anyone = client.get(f"{URL}/facets").json()
    assert anyone["total"] == 3, "a draft is not counted for the public"
    assert _counts(anyone, "region") == {"48": 2, "11": 1}
    assert _counts(anyone, "problem_type") == {"quality_inspection": 2, "predictive_maintenance": 1}
    assert _counts(anyone, "technique") == {"anomaly_detection": 2, "gradient_boosting": 1}
    assert _counts(anyone, "supplier") == {"org-vendor-3": 3}
    assert client.get(f"{URL}/facets", headers=vendor).json()["total"] == 4, "the owner counts its draft"
    other = auth("vendor", org_id="org-vendor-5")
    assert client.get(f"{URL}/facets", headers=other).json()["total"] == 3

    in_48 = client.get(f"{URL}/facets", params={"region": "48"}).json()
    assert in_48["total"] == 2 and _counts(in_48, "region") == {"48": 2, "11": 1}
    assert _counts(in_48, "technique") == {"anomaly_detection": 2}

    searched = client.get(f"{URL}/facets", params={"q": "창원 포장", "region": "48"}).json()
    assert searched["total"] == 2 and _counts(searched, "region") == {"48": 2, "11": 1}
    assert client.get(f"{URL}/facets", params={"q": "베어링"}).json()["total"] == 1
    bad = client.get(f"{URL}/facets", params={"q": "!!"})
    assert bad.status_code == 422 and bad.json()["fields"][0]["loc"] == "query.q"
    assert client.get(f"{URL}/facets", params={"region": "99"}).json()["fields"][0]["loc"] == "query.region"


def test_a_search_that_finds_nothing_still_counts_the_facets_of_its_chosen_filters(
    client: TestClient, auth: Auth
) -> None:
    vendor = auth("vendor", org_id="org-vendor-3")
    _case(client, vendor, region="48", title_ko="창원 용접 불량 예측")
    _case(client, vendor, region="48", technique="gradient_boosting", title_ko="창원 사출 불량 검사")

    nowhere = client.get(f"{URL}/facets", params={"q": "창원", "region": "11"}).json()
    assert nowhere["total"] == 0
    assert _counts(nowhere, "region") == {"48": 2}, "choosing another region would find them"
    assert nowhere["industry"] == nowhere["technique"] == nowhere["supplier"] == []
    two = client.get(f"{URL}/facets", params={"q": "창원", "region": "11", "technique": "anomaly_detection"})
    assert _counts(two.json(), "region") == {"48": 1} and _counts(two.json(), "technique") == {}
    nothing = client.get(f"{URL}/facets", params={"q": "베어링"}).json()
    assert nothing == {
        "total": 0, "region": [], "industry": [], "problem_type": [], "technique": [], "supplier": []
    }  # fmt: skip


def test_the_list_sorts_searches_and_pages_by_position(client: TestClient, auth: Auth) -> None:
    vendor = auth("vendor", org_id="org-vendor-3")
    small = _case(
        client,
        vendor,
        title_ko="가 용접 불량",
        effects=[{"metric": {"ko": "불량률", "en": "Defects"}, "unit": "%", "before": 3, "after": 2.7}],
    )
    big = _case(client, vendor, title_ko="나 용접 불량 예측 불량 감소")  # the example's effects: 61 %
    other = _case(client, vendor, title_ko="다 베어링 예지 보전", summary={"ko": "진동", "en": "Vibration"})

    def ids(**params: object) -> list[str]:
        answer = client.get(URL, params=params)
        assert answer.status_code == 200, answer.text
        return [i["id"] for i in answer.json()["items"]]

    assert ids(sort="newest") == [other, big, small]
    assert ids(sort="title") == [small, big, other]
    assert ids(sort="effect")[-1] == small
    ranked = client.get(f"{URL}/search", params={"q": "용접 불량 감소"}).json()["items"]
    assert ids(q="용접 불량 감소", sort="relevance") == [h["case"]["id"] for h in ranked], "as /search ranks"
    assert ranked[0]["case"]["id"] == big and ids(q="베어링", sort="relevance") == [other]
    first = client.get(URL, params={"sort": "title", "limit": 2}).json()
    rest = client.get(URL, params={"sort": "title", "limit": 2, "cursor": first["next_cursor"]}).json()
    assert [i["id"] for i in rest["items"]] == [other] and rest["next_cursor"] is None
    assert client.get(URL, params={"sort": "loudest"}).json()["fields"][0]["loc"] == "query.sort"
