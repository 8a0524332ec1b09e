"""`http_ingest_bench.py --against` at tiny sizes on the real servers: two rounds on a platform per side
(``--keep-platforms``: the harness and its verdict logic are under test here, not the platforms' drift), one
verdict. The platforms skip the warm-up (``SMARTMFG_WARMUP_ENABLED``): the benchmark's own warm upload
precedes every figure."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import orjson
import pytest
from benchkit import RESULTS

from tests.bench.conftest import BENCH

# slow: two platform starts, four runs; a run that has not timed it starts it first (tests/workers.py)
pytestmark = [pytest.mark.e2e, pytest.mark.servers, pytest.mark.slow]


@pytest.fixture
def kept_results() -> Iterator[None]:
    """The results file of the last real check is put back after this tiny run."""
    path = RESULTS / "alternating.json"
    before = path.read_bytes() if path.exists() else None
    yield
    if before is None:
        path.unlink(missing_ok=True)
    else:
        path.write_bytes(before)


def test_two_tiny_rounds_against_head_measure_both_sides_and_decide_nothing(kept_results: None) -> None:
    out = subprocess.run(
        [
            *(sys.executable, str(BENCH / "http_ingest_bench.py"), "--against", "HEAD"),
            *("--topologies", "embedded", "--uploaders", "1", "--writers", "1"),
            *("--arrow-batches", "2", "--arrow-rows", "2000", "--min-rounds", "2", "--max-rounds", "2"),
            *("--conditions", "tests/bench", "--keep-platforms"),
        ],
        cwd=BENCH,
        env={**os.environ, "SMARTMFG_WARMUP_ENABLED": "false"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert [line.split(":")[0] for line in out.stdout.splitlines() if line.startswith("round ")] == [
        "round 1",
        "round 2",
    ]
    doc = orjson.loads((RESULTS / "alternating.json").read_bytes())
    assert [f["name"] for f in doc["figures"]] == [
        "baseline: readings/s in the lake",
        "now: readings/s in the lake",
    ]
    assert all(len(f["runs"]) == 2 and min(f["runs"]) > 0 for f in doc["figures"])
    assert doc["details"]["baseline"].startswith("HEAD (")
    assert doc["details"]["now"].startswith("working tree on ")
    assert doc["details"]["decided"] is False  # two rounds never decide
    assert doc["details"]["platforms"] == "one per side, kept up (--keep-platforms)"
    assert doc["sizes"] == {
        "topology": "embedded",
        "arrow": "1 uploaders x 2 x 2000",
        "writers": 1,
        "rounds": "2..2",
    }
