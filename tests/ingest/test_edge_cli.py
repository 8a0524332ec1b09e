"""`smartmfg-edge` against a real platform: the embedded topology served by a subprocess on a free port,
the CLI run as its console script, Keycloak for the distributed token flow."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyiceberg.expressions import EqualTo

from catalog.lake import Lake, LakeConfig
from ingest.edge.auth import ClientCredentials, claims_of
from ingest.edge.outbox import BatchMeta, Outbox
from ingest.edge.payloads import encode_json
from ingest.edge.uploader import Uploader
from platform_api.demo_data import build_world
from services.kit.settings import PlatformSettings
from tests.e2e.test_make_run import _free_port
from tests.factories import register_factory

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
KEYCLOAK = os.environ.get("SMARTMFG_TEST_KEYCLOAK_URL", "http://127.0.0.1:58080")
COLUMNS = "equipment_id,model_id,model_version,item_id,ts,value,unit,quality"
GW1, GW2 = "factory-sme-1-a", "factory-sme-2-a"
FACTORIES = [
    ("org-sme-1", GW1),
    ("org-sme-2", GW2),
    ("org-operator", "sim-factory-01"),
    ("org-operator", "sim-factory-02"),
]
FAST_RETRY = ["--max-attempts", "2", "--backoff", "0.05"]


@dataclass(frozen=True)
class Platform:
    base: str
    data_dir: Path
    proc: subprocess.Popen[bytes]

    def token(self, **form: str) -> str:
        answer = httpx.post(f"{self.base}/dev-oidc/token", data=form, timeout=30)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    def admin(self) -> str:
        return self.token(
            grant_type="password", client_id="smartmfg-api", username="admin1", password="admin1-pass"
        )

    def gateway(self, n: int) -> str:
        return self.token(
            grant_type="client_credentials",
            client_id=f"edge-gw-demo-{n}",
            client_secret=f"edge-gw-demo-{n}-secret",
        )

    def batch(self, token: str, factory_id: str, batch_id: str) -> dict[str, Any]:
        answer = httpx.get(
            f"{self.base}/api/v1/ingest/batches/{batch_id}",
            params={"factory_id": factory_id},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


def _platform_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTMFG_")}
    # What these tests neither time nor read, off: the warm-up before ready (services.kit.warmup, on for
    # `serve`), and the rollup refresher (a child interpreter on the first commit, then a round every 30 s).
    unused = {"SMARTMFG_WARMUP_ENABLED": "false", "SMARTMFG_ANALYTICS_ROLLUP_REFRESH_SECONDS": "0"}
    return {**env, "SMARTMFG_DATA_DIR": str(data_dir), "SMARTMFG_TOPOLOGY": "embedded", **unused, **extra}


@contextmanager
def _serve(root: Path, models: list[dict[str, Any]], **extra: str) -> Iterator[Platform]:
    """Migrate, serve on a free port, publish the given equipment models; stop the server on the way out."""
    env = _platform_env(root / "data", **extra)
    migrated = subprocess.run([str(BIN / "smartmfg"), "migrate"], env=env, capture_output=True, text=True)
    assert migrated.returncode == 0, migrated.stderr
    port = _free_port()
    with open(root / "platform.log", "wb") as log:
        proc = subprocess.Popen(
            [str(BIN / "smartmfg"), "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    platform = Platform(f"http://127.0.0.1:{port}", root / "data", proc)
    try:
        _wait_ready(platform, root / "platform.log")
        admin = {"Authorization": f"Bearer {platform.admin()}"}
        with httpx.Client(base_url=platform.base, timeout=30) as client:
            # The demo gateways' factories (no equipment registry: any equipment id uploads), and the ones
            # the operator's own simulations feed.
            for company_id, factory_id in FACTORIES:
                register_factory(client, admin, company_id=company_id, factory_id=factory_id)
            for body in models:
                created = client.post("/api/v1/standards", json=body, headers=admin)
                assert created.status_code == 201, created.text
                published = client.post(
                    f"/api/v1/standards/{body['id']}/versions/{body['version']}/publish", headers=admin
                )
                assert published.status_code == 200, published.text
        yield platform
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _wait_ready(platform: Platform, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert platform.proc.poll() is None, log.read_text()
        try:
            if httpx.get(f"{platform.base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "platform did not become ready within 60 s"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with _serve(tmp_path_factory.mktemp("edge-platform"), build_world().models) as running:
        yield running


def gateway_env(platform: Platform, outbox: Path, n: int = 1, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTMFG_")}
    return {
        **env,
        "SMARTMFG_EDGE_API": platform.base,
        "SMARTMFG_EDGE_CLIENT_ID": f"edge-gw-demo-{n}",
        "SMARTMFG_EDGE_CLIENT_SECRET": f"edge-gw-demo-{n}-secret",
        "SMARTMFG_EDGE_OUTBOX": str(outbox),
        **extra,
    }


def edge(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "smartmfg-edge"), *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def csv_file(path: Path, rows: int, *, equipment: str, bad_rows: tuple[int, ...] = ()) -> Path:
    """Spindle speeds with an execution state every tenth row; one timestamp per row, so a duplicate shows."""
    lines = [COLUMNS]
    for i in range(rows):
        ts = f"2025-10-{1 + i // 86400:02d}T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}+09:00"
        if i in bad_rows:
            lines.append(f"{equipment},cnc-lathe,1.0.0,spindle_speed,{ts},99999,rpm,good")
        elif i % 10 == 0:
            lines.append(f"{equipment},cnc-lathe,1.0.0,execution,{ts},IDLE,,good")
        else:
            lines.append(f"{equipment},cnc-lathe,1.0.0,spindle_speed,{ts},{i % 6000},rpm,")
    path.write_text("\n".join(lines) + "\n")
    return path


def parquet_file(path: Path, rows: int, *, equipment: str) -> Path:
    pq.write_table(
        pa.table(
            {
                "equipment_id": [equipment] * rows,
                "model_id": ["cnc-lathe"] * rows,
                "model_version": ["1.0.0"] * rows,
                "item_id": ["coolant_temp"] * rows,
                "ts": pa.array(
                    [1_761_955_200_000_000 + i * 1_000_000 for i in range(rows)], pa.timestamp("us", tz="UTC")
                ),
                "value": [20.0 + i % 40 for i in range(rows)],
                "unit": ["°C"] * rows,
            }
        ),
        path,
    )
    return path


def receipts(outbox: Path) -> dict[str, dict[str, Any]]:
    return Outbox(outbox).acked()


def jsonl(rows: int, *, equipment: str) -> str:
    return (
        "\n".join(
            orjson.dumps(
                {
                    "equipment_id": equipment,
                    "model_id": "cnc-lathe",
                    "model_version": "1.0.0",
                    "item_id": "feed_rate",
                    "ts": f"2025-11-24T09:{i // 60 % 60:02d}:{i % 60:02d}+09:00",
                    "value": i % 500,
                    "unit": "mm/s",
                }
            ).decode()
            for i in range(rows)
        )
        + "\n"
    )


def test_upload_lands_csv_and_parquet_and_a_rerun_sends_nothing(platform: Platform, tmp_path: Path) -> None:
    env = gateway_env(platform, tmp_path / "outbox")
    data = csv_file(tmp_path / "lathe.csv", 2500, equipment="eq-upload-csv")
    done = edge(env, "upload", str(data), "--batch-rows", "1000")
    assert done.returncode == 0, done.stderr
    assert "2500 readings accepted" in done.stdout
    table = parquet_file(tmp_path / "coolant.parquet", 1200, equipment="eq-upload-pq")
    done = edge(env, "upload", str(table), "--batch-rows", "500", "--format", "arrow", "--quiet")
    assert done.returncode == 0, done.stderr

    token = platform.gateway(1)
    sent = receipts(tmp_path / "outbox")
    by_file: dict[str, list[int]] = {}
    for batch_id, receipt in sent.items():
        status = platform.batch(token, GW1, batch_id)
        assert status["rejected"] == 0 and status["accepted"] == receipt["rows"]
        by_file.setdefault(receipt["source"].split()[0], []).append(status["accepted"])
    assert by_file == {"lathe.csv": [1000, 1000, 500], "coolant.parquet": [500, 500, 200]}

    again = edge(env, "upload", str(data), "--batch-rows", "1000", "--quiet")
    assert again.returncode == 0 and "3 delivered before" in again.stdout
    resliced = edge(env, "upload", str(data), "--batch-rows", "700", "--quiet")
    assert resliced.returncode == 1 and "uploaded before with --batch-rows 1000" in resliced.stderr
    assert receipts(tmp_path / "outbox").keys() == sent.keys()


def _lake_rows(platform: Platform, factory_id: str, prefix: str) -> list[str]:
    settings = PlatformSettings(
        topology="embedded", data_dir=platform.data_dir, lake={"catalog_url": None, "warehouse": None}
    )
    lake = Lake(LakeConfig.from_settings(settings))
    rows = (
        lake.readings()
        .scan(row_filter=EqualTo(term="factory_id", value=factory_id), selected_fields=("ts", "batch_key"))
        .to_arrow()
        .to_pylist()
    )
    return [str(r["ts"]) for r in rows if r["batch_key"].startswith(f"{factory_id}/{prefix}")]


def test_an_interrupted_upload_resumes_without_duplicates(platform: Platform, tmp_path: Path) -> None:
    env, outbox = gateway_env(platform, tmp_path / "outbox", 2), tmp_path / "outbox"
    data = csv_file(tmp_path / "big.csv", 40_000, equipment="eq-resume")
    args = ["upload", str(data), "--batch-rows", "400", "--quiet"]
    proc = subprocess.Popen(
        [str(BIN / "smartmfg-edge"), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while not (outbox / "acked.log").exists() or len((outbox / "acked.log").read_bytes().splitlines()) < 5:
        assert proc.poll() is None and time.monotonic() < deadline, (
            "the upload ended before it was interrupted"
        )
        time.sleep(0.02)
    proc.kill()  # no chance to clean up, like a power cut
    proc.wait()
    first = set(receipts(outbox))
    assert 5 <= len(first) < 100

    resumed = edge(env, *args)
    assert resumed.returncode == 0, resumed.stderr
    # A kill can land between the server's answer and the outbox noting it: such a batch is sent again
    # and the server reports it as a duplicate, never as new rows.
    counts = {what: int(n) for n, what in re.findall(r"(\d+) (delivered before|duplicates)", resumed.stdout)}
    before, duplicates = counts["delivered before"], counts["duplicates"]
    assert before <= len(first) <= before + duplicates, resumed.stdout
    sent = receipts(outbox)
    assert len(sent) == 100 and set(sent) >= first
    token = platform.gateway(2)
    assert sum(platform.batch(token, GW2, b)["accepted"] for b in sent) == 40_000
    prefix = next(iter(sent)).rsplit("-", 1)[0]
    deadline = time.monotonic() + 60
    while len(stamps := _lake_rows(platform, GW2, prefix)) < 40_000 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert len(stamps) == len(set(stamps)) == 40_000


def test_the_outbox_keeps_batches_while_the_platform_is_down_and_flush_delivers_them(
    platform: Platform, tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox"
    down = gateway_env(
        platform,
        outbox,
        1,
        SMARTMFG_EDGE_API=f"http://127.0.0.1:{_free_port()}",
        SMARTMFG_EDGE_FACTORY_ID=GW1,
    )
    sent = edge(down, "send", "--batch-rows", "50", *FAST_RETRY, stdin=jsonl(120, equipment="eq-offline"))
    assert sent.returncode == 3, sent.stderr
    assert "0 failed; 3 pending" in sent.stdout and "smartmfg-edge flush" in sent.stderr
    data = csv_file(tmp_path / "offline.csv", 30, equipment="eq-offline-csv")
    started = time.monotonic()
    uploaded = edge(down, "upload", str(data), "--batch-rows", "10", *FAST_RETRY)
    assert uploaded.returncode == 3 and "3 pending" in uploaded.stdout
    assert time.monotonic() - started < 15, "once the platform is gone the rest is staged without waiting"
    assert edge(down, "status").returncode == 3

    listed = orjson.loads(edge(down, "outbox", "--json").stdout)
    assert listed["counts"] == {"pending": 6, "failed": 0, "acked": 0}
    assert sorted(m["rows"] for m in listed["pending"]) == [10, 10, 10, 20, 50, 50]

    up = gateway_env(platform, outbox, 1)
    flushed = edge(up, "flush")
    assert flushed.returncode == 0, flushed.stderr
    assert "delivered 6 batches (150 readings accepted" in flushed.stdout
    token = platform.gateway(1)
    assert sum(platform.batch(token, GW1, b)["accepted"] for b in receipts(outbox)) == 150
    status = orjson.loads(edge(up, "status", "--json").stdout)
    assert status["platform"]["status"] == "ok" and status["token"]["factory_id"] == GW1
    assert status["outbox"] == {"pending": 0, "failed": 0, "acked": 6}


def test_send_batches_a_live_stream_by_time_and_stages_the_rest_on_sigterm(
    platform: Platform, tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox"
    lines = jsonl(8, equipment="eq-live").splitlines(keepends=True)
    proc = subprocess.Popen(
        [str(BIN / "smartmfg-edge"), "send", "--batch-seconds", "1"],
        env=gateway_env(platform, outbox, 1),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None
    proc.stdin.writelines(lines[:5])
    proc.stdin.flush()
    deadline = time.monotonic() + 30
    while not receipts(outbox):  # the open stream's first batch leaves once it is a second old
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    proc.stdin.writelines(lines[5:])
    proc.stdin.flush()
    time.sleep(0.5)  # read, but not yet a second old: only the graceful stop stages them
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    accepted = [r["accepted"] for r in receipts(outbox).values()]
    assert accepted[0] == 5 and sum(accepted) == 8, out


def test_a_refused_batch_goes_to_failed_with_the_platforms_reason(platform: Platform, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    env = gateway_env(platform, outbox, 2)
    data = csv_file(tmp_path / "mixed.csv", 200, equipment="eq-refused", bad_rows=(150,))
    done = edge(env, "upload", str(data), "--batch-rows", "100", "--quiet")
    assert done.returncode == 4, done.stderr
    assert "above the maximum" in done.stderr
    assert [r["accepted"] for r in receipts(outbox).values()] == [100]
    [failed] = Outbox(outbox).failed()
    assert failed.status == 400 and failed.meta.rows == 100 and failed.meta.source == "mixed.csv rows 100-199"
    assert failed.error["fields"] == [{"loc": "rows[50].value", "msg": "99999 rpm is above the maximum 6000"}]
    listing = edge(env, "outbox")
    assert (
        "1 failed" in listing.stdout
        and "rows[50].value: 99999 rpm is above the maximum 6000" in listing.stdout
    )

    rerun = edge(env, "upload", str(data), "--batch-rows", "100", "--quiet")
    assert rerun.returncode == 4 and "refused by an earlier run" in rerun.stderr
    assert edge(env, "outbox", "--requeue", failed.meta.batch_id).returncode == 0
    assert Outbox(outbox).counts() == {"pending": 1, "failed": 0, "acked": 1}
    assert edge(env, "flush").returncode == 4
    assert Outbox(outbox).counts() == {"pending": 0, "failed": 1, "acked": 1}


def test_credentials_and_factory_are_checked_before_anything_is_staged(
    platform: Platform, tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox"
    data = csv_file(tmp_path / "few.csv", 5, equipment="eq-denied")
    wrong_secret = gateway_env(platform, outbox, 1, SMARTMFG_EDGE_CLIENT_SECRET="nope")
    refused = edge(wrong_secret, "upload", str(data))
    assert refused.returncode == 5 and "refused client edge-gw-demo-1" in refused.stderr
    other_factory = edge(gateway_env(platform, outbox, 1), "upload", str(data), "--factory-id", GW2)
    assert (
        other_factory.returncode == 1 and f"uploads for factory '{GW1}', not '{GW2}'" in other_factory.stderr
    )
    assert edge(gateway_env(platform, outbox), "upload", str(data), "--token", "garbage").returncode == 5
    assert Outbox(outbox).counts() == {"pending": 0, "failed": 0, "acked": 0}


def test_simulate_makes_valid_readings_for_every_demo_model(platform: Platform, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    env = gateway_env(platform, outbox, 1)
    done = edge(
        env,
        "simulate",
        "--machines",
        "10",
        "--rate",
        "2",
        "--duration",
        "30",
        "--backfill",
        "--policy",
        "partial",
        "--seed",
        "7",
    )
    assert done.returncode == 0, done.stderr
    made = int(done.stderr.split("made ")[1].split()[0])
    sent = receipts(outbox)
    assert sum(r["accepted"] for r in sent.values()) == made > 10 * 60
    assert all(r["rejected"] == 0 for r in sent.values())
    letters = httpx.get(
        f"{platform.base}/api/v1/ingest/dead-letters",
        params={"factory_id": GW1},
        headers={"Authorization": f"Bearer {platform.gateway(1)}"},
        timeout=30,
    ).json()
    assert not [d for d in letters["items"] if d["batch_id"] in sent]

    several = edge(env, "simulate", "--factories", "2", "--duration", "1")
    assert several.returncode == 1 and "needs an admin token" in several.stderr

    admin = gateway_env(platform, tmp_path / "admin-outbox", 1, SMARTMFG_EDGE_TOKEN=platform.admin())
    live = edge(
        admin,
        "simulate",
        "--factories",
        "2",
        "--machines",
        "2",
        "--rate",
        "4",
        "--duration",
        "2",
        "--batch-seconds",
        "0.5",
        "--model",
        "press",
        "--model",
        "spot-welder",
    )
    assert live.returncode == 0, live.stderr
    live_sent = receipts(tmp_path / "admin-outbox").values()
    assert {r["factory_id"] for r in live_sent} == {"sim-factory-01", "sim-factory-02"}
    assert len(live_sent) >= 4 and all(r["rejected"] == 0 for r in live_sent)


class _StaleFirst:
    """Hands out a token the platform refuses first, as after a key rotation, then the real credentials'."""

    def __init__(self, real: ClientCredentials) -> None:
        self.real, self.stale = real, True

    def bearer(self) -> str:
        return "stale.token.value" if self.stale else self.real.bearer()

    def invalidate(self) -> bool:
        self.stale = False
        return self.real.invalidate()


@pytest.mark.parametrize("issuer", ["embedded", "keycloak"])
def test_tokens_are_renewed_before_expiry(platform: Platform, issuer: str) -> None:
    url = (
        f"{platform.base}/dev-oidc/token"
        if issuer == "embedded"
        else f"{KEYCLOAK}/realms/smartmfg/protocol/openid-connect/token"
    )
    now = [0.0]
    with httpx.Client(timeout=30) as http:
        tokens = ClientCredentials(
            http, url, "edge-gw-demo-1", "edge-gw-demo-1-secret", refresh_margin_s=60, clock=lambda: now[0]
        )
        first = tokens.bearer()
        claims = claims_of(first)
        assert claims["factory_id"] == GW1
        lifetime = claims["exp"] - claims["iat"]
        # The client goes by the answer's expires_in, which Keycloak may round a second below exp - iat.
        now[0] = lifetime - 63
        assert tokens.bearer() == first
        now[0] = lifetime - 57
        assert tokens.bearer() != first


def test_a_refused_token_is_replaced_once_and_the_batch_goes_through(
    platform: Platform, tmp_path: Path
) -> None:
    outbox = Outbox(tmp_path / "outbox")
    body = encode_json([orjson.loads(line) for line in jsonl(3, equipment="eq-renewed").splitlines()])
    meta = BatchMeta(
        batch_id="renewed-1",
        factory_id=GW1,
        content_type=body.content_type,
        rows=3,
        content_encoding=body.content_encoding,
    )
    outbox.put(meta, body.data)
    with httpx.Client(timeout=30) as http:
        real = ClientCredentials(
            http, f"{platform.base}/dev-oidc/token", "edge-gw-demo-1", "edge-gw-demo-1-secret"
        )
        delivery = Uploader(http, platform.base, _StaleFirst(real)).send(*outbox.load("renewed-1"))
    assert delivery.outcome == "acked" and delivery.receipt is not None
    assert delivery.receipt["accepted"] == 3


def test_rate_limited_batches_wait_for_retry_after(tmp_path: Path) -> None:
    cnc = next(m for m in build_world().models if m["id"] == "cnc-lathe")
    # A full bucket holds 12 uploads and refills one every 5 s: the 13th and 14th are told to wait, unless
    # the first ones took 10 s (so no timing luck is needed for the 429s).
    with _serve(tmp_path, [cnc], SMARTMFG_RATE_LIMIT_UPLOADS_PER_MINUTE="12") as limited:
        env = gateway_env(limited, tmp_path / "outbox", 1)
        data = csv_file(tmp_path / "burst.csv", 14, equipment="eq-burst")
        started = time.monotonic()
        done = edge(env, "upload", str(data), "--batch-rows", "1", "--quiet")
        elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert "delivered 14 batches (14 readings accepted" in done.stdout
    retries = [line for line in done.stderr.splitlines() if line.startswith("retry")]
    assert retries and all("HTTP 429 RateLimited" in line for line in retries)
    assert elapsed > 5
