"""Gateway files: errors that name their place, and ``check`` against the platform's models."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.edge.outbox import Outbox
from tests.ingest.edge.conftest import Platform, edge_cli
from tests.ingest.test_edge_cli import gateway_env

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def _run(platform: Platform, tmp_path: Path, name: str, text: str, command: str = "check") -> tuple[int, str]:
    path = tmp_path / name
    path.write_text(text)
    done = edge_cli(gateway_env(platform, tmp_path / "outbox", 1), command, "--config", str(path))
    return done.returncode, done.stdout + done.stderr


def test_a_file_that_is_not_toml_or_yaml_is_refused(platform: Platform, tmp_path: Path) -> None:
    code, out = _run(platform, tmp_path, "broken.toml", "[[connectors]\nname = 1\n")
    assert code == 1 and "broken.toml is not valid TOML" in out
    code, out = _run(platform, tmp_path, "broken.yaml", "connectors: [\n")
    assert code == 1 and "broken.yaml is not valid YAML" in out
    code, out = _run(platform, tmp_path, "missing.toml", "x = 1", command="run")
    assert code == 1 and "connectors: Field required" in out
    absent = edge_cli(
        gateway_env(platform, tmp_path / "o", 1), "run", "--config", str(tmp_path / "none.toml")
    )
    assert absent.returncode == 1 and "cannot read the gateway file" in absent.stderr


def test_schema_errors_name_their_place_in_the_file(platform: Platform, tmp_path: Path) -> None:
    code, out = _run(
        platform,
        tmp_path,
        "bad.toml",
        """
[gateway.outbox_limit]
overflow = "drop_random"

[[connectors]]
name = "plc"
type = "modbus"
host = "10.0.0.9"
equipment_id = "p1"
model = "mc-mapped"
polll_s = 1
[[connectors.registers]]
address = 3
type = "float16"
item = "spindle_speed"
[[connectors.registers]]
table = "coil"
address = 1
type = "uint16"
item = "door_open"

[[connectors]]
name = "plc"
type = "opcua"
url = "http://wrong"
equipment_id = "p2"
model = "mc-mapped"
security_policy = "Basic256Sha256"

[[connectors]]
name = "agent"
type = "canbus"
equipment_id = "p3"
model = "mc-mapped"
""",
    )
    assert code == 1, out
    for expected in (
        "gateway.outbox_limit.overflow: Input should be 'drop_newest' or 'drop_oldest'",
        "connectors[0].polll_s: Extra inputs are not permitted",
        "connectors[0].registers[0].type: Input should be 'int16', 'uint16', 'int32', 'uint32', 'float32'",
        "connectors[0].registers[1]: Value error, coils and discrete inputs are type bool",
        "connectors[1].url: String should match pattern '^opc\\.tcp://'",
        "connectors[2]: Input tag 'canbus' found using 'type' does not match any of the expected tags",
    ):
        assert expected in out, out
    code, out = _run(
        platform,
        tmp_path,
        "secure.toml",
        """
[[connectors]]
name = "ua"
type = "opcua"
url = "opc.tcp://10.0.0.5:4840"
equipment_id = "p2"
model = "mc-mapped"
security_policy = "Basic256Sha256"
password = "x"
""",
    )
    assert code == 1
    assert (
        "connectors[0]: Value error, security_policy Basic256Sha256 needs certificate and private_key" in out
    )
    code, out = _run(
        platform,
        tmp_path,
        "twice.yaml",
        """
connectors:
  - {name: a, type: modbus, host: h, equipment_id: e, model: mc-mapped, registers: [{address: 0, item: x}]}
  - {name: a, type: modbus, host: h, equipment_id: f, model: mc-mapped, registers: [{address: 0, item: x}]}
""",
    )
    assert code == 1 and "connector name 'a' appears twice" in out


def test_check_finds_unknown_models_items_and_units_before_anything_runs(
    platform: Platform, tmp_path: Path
) -> None:
    text = """
platform:
  factory_id: factory-sme-1-a
connectors:
  - name: plc
    type: modbus
    host: 127.0.0.1
    equipment_id: press-1
    model: mc-mapped
    registers:
      - {address: 0, item: spindel_speed}
      - {address: 1, item: spindle_temp, unit: kg}
      - {address: 2, item: spindle_temp, unit: °F}
  - name: broker
    type: mqtt
    host: 127.0.0.1
    equipment_id: press-2
    model: no-such-model
    topics: [{topic: "a/#", items: {spindle_speed: rpm}}]
  - name: agent
    type: mtconnect
    url: http://127.0.0.1:5000
    equipment_id: lathe-3
    model: mc-mapped
    model_version: 9.9.9
"""
    code, out = _run(platform, tmp_path, "gateway.yaml", text)
    assert code == 1, out
    assert "error connectors[1].model: the platform has no equipment model 'no-such-model'" in out
    assert (
        "error connectors[2].model: the platform has no published version 9.9.9 of model 'mc-mapped'" in out
    )
    assert "error connectors[0].registers[0].item: model mc-mapped 1.0.0 has no item 'spindel_speed'" in out
    assert "error connectors[0].registers[1].item: unit kg:" in out
    assert "registers[2]" not in out  # °F converts to °C
    assert "4 problem(s)" in out

    code, out = _run(platform, tmp_path, "gateway.yaml", text, command="run")
    assert code == 1 and "no-such-model" in out
    assert Outbox(tmp_path / "outbox").counts() == {"pending": 0, "failed": 0, "acked": 0}

    good = tmp_path / "good.toml"
    good.write_text(
        """
[[connectors]]
name = "agent"
type = "mtconnect"
url = "http://127.0.0.1:5000"
equipment_id = "lathe-3"
model = "mc-mapped"
"""
    )
    done = edge_cli(gateway_env(platform, tmp_path / "outbox", 1), "check", "--config", str(good))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok    agent (mtconnect): lathe-3 as mc-mapped 1.0.0, 0 mapped points, " in done.stdout
    assert "5 items from the model's mappings" in done.stdout


def test_the_documented_example_checks_out(platform: Platform, tmp_path: Path) -> None:
    example = Path(__file__).parents[3] / "docs" / "examples" / "gateway.toml"
    done = edge_cli(gateway_env(platform, tmp_path / "outbox", 1), "check", "--config", str(example))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("ok    ") == 4
    assert "ok    lathe4-modbus (modbus): lathe-04 as cnc-lathe 1.0.0, 4 mapped points" in done.stdout
