"""A use case's ETag and ``If-Match`` (SQLite and PostgreSQL): a read answers with the version it shows, a
change naming an older version is refused with 412 and changes nothing, a change moves the version."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Auth
from tests.factories import usecase_body

URL = "/api/v1/usecases"


def test_a_change_names_the_version_it_was_made_from(client: TestClient, auth: Auth) -> None:
    vendor = auth("vendor", org_id="org-vendor-3")
    made = client.post(URL, json=usecase_body(), headers=vendor)
    assert made.status_code == 201, made.text
    case_id, first = made.json()["id"], made.json()["version"]
    read = client.get(f"{URL}/{case_id}", headers=vendor)
    assert read.headers["etag"] == f'"{first}"' and read.json()["version"] == first

    changed = client.patch(
        f"{URL}/{case_id}",
        json={"technique": "time_series_forecasting"},
        headers={**vendor, "If-Match": f'"{first}"'},
    )
    assert changed.status_code == 200, changed.text
    second = changed.json()["version"]
    assert second > first and changed.headers["etag"] == f'"{second}"'

    stale = client.patch(
        f"{URL}/{case_id}",
        json={"technique": "gradient_boosting"},
        headers={**vendor, "If-Match": f'"{first}"'},
    )
    assert stale.status_code == 412
    assert stale.json()["error"] == "PreconditionFailed"
    assert client.get(f"{URL}/{case_id}", headers=vendor).json()["technique"] == "time_series_forecasting"

    korean = client.patch(
        f"{URL}/{case_id}",
        json={"technique": "gradient_boosting"},
        headers={**vendor, "If-Match": f'"{first}"', "Accept-Language": "ko"},
    )
    assert korean.json()["detail"] == "그 사이 다른 사용자가 활용 사례를 변경했습니다. 다시 불러오세요"
    unknown = client.patch(f"{URL}/{case_id}", json={}, headers={**vendor, "If-Match": '"v1"'})
    assert unknown.status_code == 412
    malformed = client.patch(f"{URL}/{case_id}", json={}, headers={**vendor, "If-Match": "v1"})
    assert malformed.status_code == 422 and malformed.json()["fields"][0]["loc"] == "header.If-Match"
    anyone = client.patch(f"{URL}/{case_id}", json={"technique": "gradient_boosting"}, headers=vendor)
    assert anyone.status_code == 200, "without If-Match a change is made as before"
    wildcard = client.patch(f"{URL}/{case_id}", json={}, headers={**vendor, "If-Match": "*"})
    assert wildcard.status_code == 200
