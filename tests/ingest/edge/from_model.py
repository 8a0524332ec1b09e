"""What the end-to-end tests from a machine's own description share (MTConnect Devices, OPC UA NodeSets):
the document imported and its draft published by an admin, the gateway file ``smartmfg-edge config
--from-model`` writes, and ``smartmfg-edge run`` on that file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.ingest.edge.conftest import Gateway, Platform, edge_cli, gateway_file
from tests.ingest.test_edge_cli import gateway_env


def import_and_publish(
    platform: Platform, source: str, body: bytes, content_type: str, **params: str
) -> dict[str, Any]:
    """``POST /imports/{source}`` with the document, then the draft published: the import's answer."""
    admin = {"Authorization": f"Bearer {platform.admin()}"}
    with httpx.Client(base_url=platform.base, headers=admin, timeout=120) as client:
        imported = client.post(
            f"/api/v1/standards/imports/{source}",
            params=params,
            content=body,
            headers={"Content-Type": content_type},
        )
        assert imported.status_code == 201, imported.text
        version = imported.json()["version"]["version"]
        published = client.post(f"/api/v1/standards/{params['model_id']}/versions/{version}/publish")
        assert published.status_code == 200, published.text
        return dict(imported.json())


def generate(platform: Platform, tmp_path: Path, *args: str) -> tuple[str, str]:
    """``smartmfg-edge config`` with ``args``: the file it wrote and what it said on stderr."""
    written = tmp_path / "generated.toml"
    made = edge_cli(gateway_env(platform, tmp_path / "outbox"), "config", *args, "--output", str(written))
    assert made.returncode == 0, made.stderr
    return written.read_text(), made.stderr


def run_generated(platform: Platform, tmp_path: Path, connector: str, gateways: list[Gateway]) -> Gateway:
    """``smartmfg-edge run`` on the generated connector (killed at the end of the test if still running)."""
    gateway = Gateway(platform, tmp_path, gateway_file(connector, outbox=tmp_path / "outbox"))
    gateways.append(gateway)
    return gateway.start()
