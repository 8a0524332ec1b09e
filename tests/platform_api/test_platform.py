"""Gateway-level behaviour: health, readiness, metrics, OpenAPI, reference data, portal, error shape."""

from __future__ import annotations

from fastapi.testclient import TestClient

from platform_api.app import create_app
from services.kit.settings import PlatformSettings


def test_health_ready_and_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
    client.get("/api/v1/reference/regions")
    metrics = client.get("/metrics").text
    assert (
        'smartmfg_http_requests_total{method="GET",route="/api/v1/reference/regions",status="200"} 1.0'
        in metrics
    )


def test_readiness_fails_when_the_database_is_gone(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = PlatformSettings(
        database={"url": "postgresql+psycopg://nobody:x@127.0.0.1:1/none"},
        data_dir=tmp_path,
        public_url="http://testserver",
    )
    with TestClient(create_app(settings)) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"].startswith("error:")


def test_one_merged_openapi_document_with_every_service(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    prefixes = {path.split("/")[3] for path in spec["paths"] if path.startswith("/api/v1/")}
    assert {"deployments", "standards", "companies", "reference"} <= prefixes
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
    assert client.get("/docs").status_code == 200


def test_reference_data(client: TestClient) -> None:
    regions = client.get("/api/v1/reference/regions").json()
    assert len(regions) == 17
    assert {"code": "51", "ko": "강원특별자치도", "en": "Gangwon"} in regions
    assert {"code": "52", "ko": "전북특별자치도", "en": "Jeonbuk"} in regions
    industries = client.get("/api/v1/reference/industries").json()
    assert [i["code"] for i in industries] == [f"C{n}" for n in range(10, 35)]
    taxonomy = client.get("/api/v1/reference/taxonomy").json()
    assert len(taxonomy) == 4 and sum(len(a["subfields"]) for a in taxonomy) == 14
    strategic = [s["ko"] for a in taxonomy for s in a["subfields"] if s["strategic"]]
    assert len(strategic) == 7 and "CPS·디지털 트윈" in strategic
    levels = client.get("/api/v1/reference/levels").json()
    assert [lv["code"] for lv in levels["system_levels"]] == ["기초", "중간1", "중간2", "고도화"]
    assert levels["capability_levels"] == [1, 2, 3, 4, 5]
    stages = client.get("/api/v1/reference/stages").json()
    assert (
        len(stages["stages"]) == 8 and stages["target_months"] == 14 and stages["after_service_months"] == 6
    )


def test_portal_is_bilingual(client: TestClient) -> None:
    page = client.get("/").text
    assert "스마트제조혁신 통합 플랫폼" in page and "Smart Manufacturing Innovation Platform" in page


def test_errors_share_one_shape_and_speak_korean(client: TestClient) -> None:
    missing = client.get("/api/v1/deployments/nope")
    assert missing.status_code == 404 and missing.json()["error"] == "NotFound"
    korean = client.get("/api/v1/deployments/nope", headers={"Accept-Language": "ko-KR"}).json()
    assert "찾을 수 없습니다" in korean["detail"]
    unauthorized = client.post("/api/v1/deployments", json={})
    assert unauthorized.status_code == 401 and unauthorized.headers["www-authenticate"] == "Bearer"
    garbage = client.post("/api/v1/deployments", json={}, headers={"Authorization": "Bearer not-a-jwt"})
    assert garbage.status_code == 401 and garbage.json()["error"] == "Unauthorized"
    assert client.get("/no/such/path").json() == {"error": "NotFound", "detail": "Not Found"}


def test_a_service_process_keeps_its_own_routes_and_refuses_siblings_it_has_no_address_for(
    settings: PlatformSettings,
) -> None:
    # As a chart pod: the whole map (its own entry included), and a sibling that does not answer.
    whole_map = settings.replaced(
        service_urls={"standards": "http://127.0.0.1:1", "companies": "http://127.0.0.1:1"}
    )
    # Without the sibling's address at all the figures are left out too, never read from its own 404.
    for process in (whole_map, settings):
        with TestClient(create_app(process, services=["standards"])) as client:
            progress = client.get("/api/v1/standards/key-equipment")
        assert progress.status_code == 200, progress.text
        figures = progress.json()
        assert figures["target_equipment_types"] == 500 and figures["equipment_in_use"] is None
