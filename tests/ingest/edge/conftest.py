"""A platform for the gateway tests (served by a subprocess, with a model that has OPC UA and MTConnect
mappings), the gateway run as its console script, and the lake read back."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pyiceberg.expressions import EqualTo

from catalog.lake import Lake, LakeConfig
from platform_api.demo_data import build_world
from services.kit.settings import PlatformSettings
from tests.ingest.test_edge_cli import BIN, GW1, Platform, _serve, gateway_env

__all__ = ["GW1", "Platform"]


def _item(item_id: str, category: str, data_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": item_id,
        "name": {"ko": item_id, "en": item_id},
        "category": category,
        "data_type": data_type,
        **extra,
    }


MAPPED = {
    "id": "mc-mapped",
    "equipment_type": "MACHINING_CENTER",
    "name": {"ko": "머시닝센터", "en": "Machining center"},
    "version": "1.0.0",
    "items": [
        _item(
            "spindle_speed",
            "SAMPLE",
            "float",
            unit="rpm",
            min=0,
            max=1_000_000,
            mappings={"opcua_browse_name": "SpindleSpeed", "mtconnect_type": "ROTARY_VELOCITY"},
        ),
        _item(
            "spindle_temp",
            "SAMPLE",
            "float",
            unit="°C",
            min=-50,
            max=300,
            mappings={"opcua_browse_name": "SpindleTemperature", "mtconnect_type": "TEMPERATURE"},
        ),
        _item(
            "execution",
            "EVENT",
            "string",
            allowed_values=["RUNNING", "IDLE", "STOPPED"],
            mappings={"opcua_browse_name": "Execution", "mtconnect_type": "EXECUTION"},
        ),
        _item(
            "part_count",
            "EVENT",
            "int",
            unit="count",
            min=0,
            max=10_000_000,
            mappings={"opcua_browse_name": "PartCount", "mtconnect_type": "PART_COUNT"},
        ),
        _item(
            "system",
            "CONDITION",
            "string",
            allowed_values=["normal", "warning", "fault"],
            mappings={"mtconnect_type": "SYSTEM"},
        ),
        _item("door_open", "EVENT", "bool"),
    ],
}


@pytest.fixture(scope="package")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    cnc = next(m for m in build_world().models if m["id"] == "cnc-lathe")
    with _serve(tmp_path_factory.mktemp("edge-gw-platform"), [cnc, MAPPED]) as running:
        yield running


def lake_readings(platform: Platform, equipment_id: str) -> list[dict[str, Any]]:
    settings = PlatformSettings(
        topology="embedded", data_dir=platform.data_dir, lake={"catalog_url": None, "warehouse": None}
    )
    rows = (
        Lake(LakeConfig.from_settings(settings))
        .readings()
        .scan(
            row_filter=EqualTo(term="equipment_id", value=equipment_id),
            selected_fields=("factory_id", "item_id", "ts", "value_num", "value_text", "unit", "quality"),
        )
        .to_arrow()
        .to_pylist()
    )
    return sorted(rows, key=lambda r: (r["item_id"], r["ts"]))


def wait_until(check: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)


def wait_for_lake(
    platform: Platform, equipment_id: str, done: Callable[[list[dict[str, Any]]], bool], timeout_s: float = 90
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    while True:
        rows = lake_readings(platform, equipment_id)
        if done(rows) or time.monotonic() > deadline:
            return rows
        time.sleep(0.5)


class Gateway:
    """``smartmfg-edge run`` as a process the test can kill like a power cut, or stop like systemd."""

    def __init__(self, platform: Platform, root: Path, config: str, **env: str) -> None:
        self.root, self.config = root, root / "gateway.toml"
        root.mkdir(parents=True, exist_ok=True)
        self.config.write_text(config)
        self.env = gateway_env(platform, root / "outbox", 1, **env)
        self.log = root / "gateway.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Gateway:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [str(BIN / "smartmfg-edge"), "run", "--config", str(self.config), "--log-level", "debug"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()
        return int(self.proc.returncode)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def gateways() -> Iterator[list[Gateway]]:
    started: list[Gateway] = []
    yield started
    for gateway in started:
        gateway.kill()


def edge_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "smartmfg-edge"), *args], env=env, capture_output=True, text=True, timeout=120
    )


def gateway_file(connector: str, *, outbox: Path, extra: str = "") -> str:
    return f"""
[gateway]
outbox = "{outbox}"
batch_rows = 500
batch_seconds = 0.3
{extra}

[gateway.upload]
max_attempts = 3
backoff_s = 0.2

{connector}
"""
