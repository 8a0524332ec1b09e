"""Edge gateway benchmark: readings/s one ``smartmfg-edge run`` process sustains per connector kind, and
its CPU per 1,000 readings/s.

Each protocol's source runs in its own process (the test suite's servers: an asyncua machine server,
an MTConnect agent, Mosquitto with a publisher, a pymodbus server); the gateway delivers to a real embedded
platform (``smartmfg serve``) with a 500-item model. Only the gateway process is measured: its CPU time
from /proc and the readings it read from its own Prometheus metrics, between a warm-up and the end.

    .venv/bin/python bench/edge_bench.py [--seconds 20] [--opcua-items 10000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from benchkit import ROOT, Result, free_port, start, stop, wait_ready

sys.path.insert(0, str(ROOT))

from tests.ingest.edge.agent import Agent
from tests.ingest.edge.broker import Broker
from tests.ingest.edge.modbus_server import PlcServer

BIN = Path(sys.executable).parent
ITEMS = 500  # the most a model version holds
CLK = os.sysconf("SC_CLK_TCK")
READ = "smartmfg_edge_readings_read_total"


def model() -> dict[str, Any]:
    return {
        "id": "bench-edge",
        "equipment_type": "BENCH_MACHINE",
        "name": {"ko": "벤치 설비", "en": "Bench machine"},
        "version": "1.0.0",
        "items": [
            {
                "id": f"v{i:03d}",
                "name": {"ko": f"값 {i}", "en": f"value {i}"},
                "category": "SAMPLE",
                "data_type": "float",
                "unit": "rpm",
                "min": 0,
                "max": 1e12,
                "mappings": {"opcua_browse_name": f"V{i:03d}", "mtconnect_type": f"BENCH_{i:03d}"},
            }
            for i in range(ITEMS)
        ],
    }


@contextmanager
def platform(root: Path) -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTMFG_")}
    env |= {"SMARTMFG_DATA_DIR": str(root / "data"), "SMARTMFG_TOPOLOGY": "embedded"}
    subprocess.run([str(BIN / "smartmfg"), "migrate"], env=env, check=True, capture_output=True)
    port = free_port()
    proc = start([str(BIN / "smartmfg"), "serve", "--port", str(port)], env, root / "platform.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(proc, base)
        token = httpx.post(
            f"{base}/dev-oidc/token",
            data={
                "grant_type": "password",
                "client_id": "smartmfg-api",
                "username": "admin1",
                "password": "admin1-pass",
            },
        ).json()["access_token"]
        admin = {"Authorization": f"Bearer {token}"}
        assert (
            httpx.post(f"{base}/api/v1/standards", json=model(), headers=admin, timeout=60).status_code == 201
        )
        published = httpx.post(
            f"{base}/api/v1/standards/bench-edge/versions/1.0.0/publish", headers=admin, timeout=60
        )
        assert published.status_code == 200, published.text
        yield base
    finally:
        stop(proc)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def metric(port: int, name: str) -> float:
    """The sum of a metric over its labels (0 while the endpoint is not up yet)."""
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    except httpx.TransportError:
        return 0.0
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name + "{"))


def run_gateway(
    root: Path, base: str, connectors: str, seconds: float, warmup: float, expected: int = 1
) -> dict[str, float]:
    """The gateway until its ``expected`` connectors are up and reading (at most ``warmup`` s) and a few
    seconds more, then measured over ``seconds``."""
    metrics_port = free_port()
    config = root / "gateway.toml"
    config.write_text(
        f"""
[gateway]
outbox = "{root / "outbox"}"
batch_rows = 5000
batch_seconds = 1.0
metrics_port = {metrics_port}

{connectors}
"""
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTMFG_")}
    env |= {
        "SMARTMFG_EDGE_API": base,
        "SMARTMFG_EDGE_CLIENT_ID": "edge-gw-demo-1",
        "SMARTMFG_EDGE_CLIENT_SECRET": "edge-gw-demo-1-secret",
        "SMARTMFG_EDGE_OUTBOX": str(root / "outbox"),
    }
    command = [str(BIN / "smartmfg-edge"), "run", "--config", str(config), "--log-level", "warning"]
    proc = start(command, env, root / "gateway.log")
    try:
        deadline = time.monotonic() + warmup
        while time.monotonic() < deadline and (
            metric(metrics_port, "smartmfg_edge_connector_up") < expected
            or metric(metrics_port, "smartmfg_edge_readings_read_total") == 0
        ):
            time.sleep(1)
        time.sleep(5)
        cpu0, read0, t0 = cpu_seconds(proc.pid), metric(metrics_port, READ), time.monotonic()
        time.sleep(seconds)
        cpu1, read1, t1 = cpu_seconds(proc.pid), metric(metrics_port, READ), time.monotonic()
    finally:
        stop(proc)
    rate = (read1 - read0) / (t1 - t0)
    cpu = (cpu1 - cpu0) / (t1 - t0)
    return {
        "readings_per_s": rate,
        "cpu_cores": cpu,
        "cpu_per_1000_per_s": cpu / (rate / 1000) if rate else float("nan"),
    }


# ---- sources (each in its own process) ---------------------------------------------------------------


def _opcua_server(port: int, machines: int, ready: Any) -> None:
    import asyncio

    from asyncua import Server, ua

    async def main() -> None:
        server = Server()
        await server.init()
        server.set_endpoint(f"opc.tcp://127.0.0.1:{port}/bench")
        idx = await server.register_namespace("urn:smartmfg:bench")
        nodes = []
        for m in range(machines):
            folder = await server.nodes.objects.add_object(f"ns={idx};s=M{m}", f"{idx}:M{m}")
            for i in range(ITEMS):
                nodes.append(await folder.add_variable(f"ns={idx};s=M{m}.V{i:03d}", f"{idx}:V{i:03d}", 0.0))
        async with server:
            ready.set()
            tick = 0
            while True:  # every variable changes once a second
                tick += 1
                started = time.monotonic()
                for node in nodes:
                    await server.write_attribute_value(node.nodeid, ua.DataValue(ua.Variant(float(tick))))
                await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))

    asyncio.run(main())


def _agent(port: int, rate: float, ready: Any) -> None:
    """An agent whose 50 data items change ``rate`` times a second between them all."""
    items = [(d, "Bench", "SAMPLE", kind, None) for d, kind in AGENT_ITEMS]
    agent = Agent(buffer_size=20_000, data_items=items, initial={d: "0" for d, _ in AGENT_ITEMS})
    agent.start(port)
    ready.set()
    started, n = time.monotonic(), 0
    while True:
        n += 1
        agent.add({d: str(n) for d, _ in AGENT_ITEMS})
        time.sleep(max(0.0, started + n * len(AGENT_ITEMS) / rate - time.monotonic()))


AGENT_ITEMS = [(f"d{i:02d}", f"BENCH_{i:03d}") for i in range(50)]


def _publisher(port: int, per_message: int, ready: Any) -> None:
    import paho.mqtt.client as mqtt

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-publisher")
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", port)
    client.loop_start()
    ready.set()
    start, n = datetime.now(UTC), 0
    while True:
        n += 1
        payload = {"ts": (start + timedelta(microseconds=n)).isoformat(), "v": list(range(per_message))}
        info = client.publish("bench/m1/telemetry", orjson.dumps(payload), qos=1)
        if n % 200 == 0:
            info.wait_for_publish(10)


def _modbus(port_box: Any, ready: Any) -> None:
    plc = PlcServer().start()
    port_box.value = plc.port
    ready.set()
    while True:
        time.sleep(1)


def in_process(target: Callable[..., None], *args: Any) -> multiprocessing.Process:
    ready = multiprocessing.Event()
    proc = multiprocessing.Process(target=target, args=(*args, ready), daemon=True)
    proc.start()
    assert ready.wait(300), f"{target.__name__} did not start"
    return proc


# ---- the four runs -----------------------------------------------------------------------------------


def bench_opcua(root: Path, base: str, seconds: float, items: int) -> dict[str, float]:
    machines = max(1, items // ITEMS)
    port = free_port()
    server = in_process(_opcua_server, port, machines)
    try:
        connectors = "".join(
            f"""
[[connectors]]
name = "ua-{m}"
type = "opcua"
url = "opc.tcp://127.0.0.1:{port}/bench"
equipment_id = "bench-ua-{m}"
model = "bench-edge"
auto_map = false
sampling_interval_ms = 1000
publishing_interval_ms = 1000
"""
            + "".join(
                f'[[connectors.points]]\nnode = "ns=2;s=M{m}.V{i:03d}"\nitem = "v{i:03d}"\n'
                for i in range(ITEMS)
            )
            for m in range(machines)
        )
        figures = run_gateway(root / "opcua", base, connectors, seconds, warmup=300, expected=machines)
    finally:
        server.kill()
    return {**figures, "monitored_items": machines * ITEMS}


def bench_mtconnect(root: Path, base: str, seconds: float, rate: float) -> dict[str, float]:
    port = free_port()
    agent = in_process(_agent, port, rate)
    try:
        points = "".join(
            f'\n[[connectors.points]]\ndata_item_id = "{d}"\nitem = "v{i:03d}"\n'
            for i, (d, _) in enumerate(AGENT_ITEMS)
        )
        connectors = f"""
[[connectors]]
name = "agent"
type = "mtconnect"
url = "http://127.0.0.1:{port}"
equipment_id = "bench-mtc"
model = "bench-edge"
auto_map = false
poll_s = 0.1
count = 5000
{points}"""
        return run_gateway(root / "mtconnect", base, connectors, seconds, warmup=60)
    finally:
        agent.kill()


def bench_mqtt(root: Path, base: str, seconds: float) -> dict[str, float]:
    broker = Broker(root / "broker").start()
    per_message = 50
    items = ", ".join(f'v{i:03d} = "v.{i}"' for i in range(per_message))
    connectors = f"""
[[connectors]]
name = "broker"
type = "mqtt"
host = "127.0.0.1"
port = {broker.port}
equipment_id = "bench-mqtt"
model = "bench-edge"

[[connectors.topics]]
topic = "bench/+/telemetry"
timestamp = "ts"
items = {{ {items} }}
"""
    publisher = None
    try:
        publisher = in_process(_publisher, broker.port, per_message)
        return run_gateway(root / "mqtt", base, connectors, seconds, warmup=60)
    finally:
        if publisher is not None:
            publisher.kill()
        broker.stop()


def bench_modbus(root: Path, base: str, seconds: float) -> dict[str, float]:
    box = multiprocessing.Value("i", 0)
    server = in_process(_modbus, box)
    try:
        registers = "".join(
            f'\n[[connectors.registers]]\naddress = {2 * i}\ntype = "float32"\nitem = "v{i:03d}"\n'
            for i in range(100)
        )
        connectors = f"""
[[connectors]]
name = "plc"
type = "modbus"
host = "127.0.0.1"
port = {box.value}
equipment_id = "bench-modbus"
model = "bench-edge"
poll_s = 0.001
{registers}"""
        return run_gateway(root / "modbus", base, connectors, seconds, warmup=60)
    finally:
        server.kill()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--opcua-items", type=int, default=10_000)
    parser.add_argument("--mtconnect-rate", type=float, default=10_000, help="observations/s the agent makes")
    parser.add_argument("--only", choices=["opcua", "mtconnect", "mqtt", "modbus"], action="append")
    args = parser.parse_args()
    only = set(args.only or ["opcua", "mtconnect", "mqtt", "modbus"])
    result = Result("edge", {"seconds": args.seconds, "opcua_items": args.opcua_items})
    with tempfile.TemporaryDirectory(prefix="edge-bench-") as scratch:
        root = Path(scratch)
        with platform(root) as base:
            runs = {
                "modbus": lambda: bench_modbus(root, base, args.seconds),
                "mqtt": lambda: bench_mqtt(root, base, args.seconds),
                "mtconnect": lambda: bench_mtconnect(root, base, args.seconds, args.mtconnect_rate),
                "opcua": lambda: bench_opcua(root, base, args.seconds, args.opcua_items),
            }
            for name, run in runs.items():
                if name not in only:
                    continue
                (root / name).mkdir(parents=True, exist_ok=True)
                figures = run()
                result.details[name] = figures
                result.add(f"{name} readings/s", [figures["readings_per_s"]], "readings/s", higher=True)
                result.add(
                    f"{name} CPU per 1000 readings/s", [figures["cpu_per_1000_per_s"]], "cores", higher=False
                )
                print(name, orjson.dumps(figures).decode(), flush=True)
    result.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
