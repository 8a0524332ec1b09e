"""The upload path's lookup caches are bounded: a gateway naming ever new model versions cannot grow them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from ingest.runtime import BoundedCache
from tests.ingest.test_upload_api import as_json, gateway, post, reading  # noqa: F401  (gateway: fixture)


def test_a_bounded_cache_forgets_the_least_recently_stored() -> None:
    cache: BoundedCache[str, int] = BoundedCache(2)
    cache["a"], cache["b"] = 1, 2
    cache["a"] = 3  # stored again (an expired entry refreshed): now the most recent
    cache["c"] = 4
    assert dict(cache) == {"a": 3, "c": 4}
    assert len(cache) == cache.limit


def test_unknown_model_versions_do_not_grow_the_model_cache(
    client: TestClient,
    gateway: dict[str, str],  # noqa: F811
) -> None:
    cache = client.app.state.ingest.model_cache  # type: ignore[attr-defined]
    cache.limit = 3
    assert post(client, gateway, as_json(reading()), batch="known-1").status_code == 202
    assert ("cnc-lathe", "1.0.0") in cache
    for n in range(6):
        answer = post(client, gateway, as_json(reading(model_version=f"9.{n}.0")), batch=f"unknown-{n}")
        assert answer.status_code == 400, answer.text
        assert "not a published data standard" in answer.json()["fields"][0]["msg"]
    assert set(cache) == {("cnc-lathe", f"9.{n}.0") for n in (3, 4, 5)}
    # The published version, forgotten meanwhile, is fetched again and takes data.
    assert post(client, gateway, as_json(reading()), batch="known-2").status_code == 202
    assert len(cache) == 3 and ("cnc-lathe", "1.0.0") in cache
