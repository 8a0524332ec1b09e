"""A client generated from the OpenAPI document (openapi-python-client) works against the platform.

The document is the contract a client generator sees: if it names a schema that does not exist, declares a
body the server refuses, or answers another shape than documented, the generated client breaks here.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Auth
from tests.factories import usecase_body

GENERATOR = Path(sys.executable).parent / "openapi-python-client"


@pytest.fixture
def generated(client: TestClient, tmp_path: Path) -> Any:
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(client.app.openapi()))  # type: ignore[attr-defined]
    done = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(spec),
            "--output-path",
            str(tmp_path / "out"),
            "--meta",
            "none",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("out")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "out" or m.startswith("out.")]:
            del sys.modules[name]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_vendor_shares_a_case_through_the_generated_client(
    generated: Any, client: TestClient, auth: Auth
) -> None:
    api = importlib.import_module("out.api.usecases")
    create = importlib.import_module(f"{api.__name__}.create_usecase_api_v1_usecases_post")
    publish = importlib.import_module(f"{api.__name__}.publish_usecase_api_v1_usecases_case_id_publish_post")
    read = importlib.import_module(f"{api.__name__}.get_usecase_api_v1_usecases_case_id_get")
    models = importlib.import_module("out.models")
    sdk = generated.Client(base_url="http://testserver")
    sdk.set_httpx_client(client)

    client.headers.update(auth("vendor", org_id="org-vendor-3"))
    created = create.sync(client=sdk, body=models.UseCaseIn.from_dict(usecase_body()))
    assert isinstance(created, models.UseCaseOut) and created.status == "draft"
    published = publish.sync(client=sdk, case_id=created.id)
    assert isinstance(published, models.UseCaseOut) and published.status == "published"

    del client.headers["authorization"]
    shown = read.sync(client=sdk, case_id=created.id)
    assert isinstance(shown, models.UseCaseOut)
    assert shown.title.ko == usecase_body()["title"]["ko"] and shown.region_code == "48"
    missing = read.sync_detailed(client=sdk, case_id="no-such-case")
    assert missing.status_code == 404 and missing.parsed.error == "NotFound"
