"""The upload path's lookups live in the process's reference cache, within its bytes: a gateway naming ever
new model versions cannot grow the process; the analytics read the very document the upload path fetched."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from catalog import model_roles
from services.kit.app_state import state_of
from services.kit.clients import ServiceClient
from services.kit.settings import PlatformSettings
from services.standards.published import version_key
from tests.ingest.test_upload_api import as_json, gateway, post, reading  # noqa: F401  (gateway: fixture)
from tests.loops import run_apart

BUDGET = 32 * 1024  # the factory and the published version take ~11 KiB, an unknown version ~1 KiB


@pytest.fixture
def settings(settings: PlatformSettings) -> PlatformSettings:
    return settings.replaced(cache={"reference_bytes": BUDGET})


@pytest.fixture
def standards_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of every call to the standards service (the calls still reach it)."""
    seen: list[str] = []
    real = ServiceClient.get_json

    async def counted(self: ServiceClient, service: str, path: str, **kw: Any) -> Any:
        if service == "standards":
            seen.append(path)
        return await real(self, service, path, **kw)

    monkeypatch.setattr(ServiceClient, "get_json", counted)
    return seen


def test_unknown_model_versions_stay_within_the_reference_budget(
    client: TestClient,
    gateway: dict[str, str],  # noqa: F811
) -> None:
    reference = state_of(client.app).caches.reference
    assert post(client, gateway, as_json(reading()), batch="known-1").status_code == 202
    assert reference.get(version_key("cnc-lathe", "1.0.0")) is not None
    for n in range(60):
        answer = post(client, gateway, as_json(reading(model_version=f"9.{n}.0")), batch=f"unknown-{n}")
        assert answer.status_code == 400, answer.text
        assert "not a published data standard" in answer.json()["fields"][0]["msg"]
    stats = reference.stats()
    assert stats.bytes <= BUDGET and stats.evictions > 0
    assert reference.get(version_key("cnc-lathe", "1.0.0")) is None, "forgotten for the newer lookups"
    # The published version is fetched again and takes data.
    assert post(client, gateway, as_json(reading()), batch="known-2").status_code == 202
    assert reference.get(version_key("cnc-lathe", "9.59.0")) is not None


def test_the_analytics_read_the_document_the_upload_path_fetched(
    client: TestClient,
    gateway: dict[str, str],  # noqa: F811
    standards_calls: list[str],
) -> None:
    assert post(client, gateway, as_json(reading()), batch="b-1").status_code == 202
    assert standards_calls == ["/cnc-lathe/versions/1.0.0"]
    request = Request({"type": "http", "app": client.app, "method": "GET", "path": "/", "headers": []})
    pairs = [("cnc-lathe", "1.0.0"), ("no-such-model", "1.0.0")]
    found = run_apart(model_roles.roles(request, pairs))
    again = run_apart(model_roles.roles(request, pairs))
    assert [(r.model_id, r.version) for r in found] == [("cnc-lathe", "1.0.0")] and again == found
    assert standards_calls == ["/cnc-lathe/versions/1.0.0", "/no-such-model/versions/1.0.0"]
