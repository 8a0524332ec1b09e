"""The alternating comparison of `make bench-check` (bench/alternating.py): its verdict on paired rounds,
the baseline's worktree, and the ABBA order."""

from __future__ import annotations

import subprocess
from pathlib import Path

import alternating
import orjson
import pytest
import run


def test_a_steady_15_percent_drop_is_a_regression() -> None:
    v = alternating.verdict([100.0] * 6, [85.0, 86.0, 84.0, 85.0, 85.0, 87.0])
    # ratios 0.85 0.86 0.84 0.85 0.85 0.87: median 0.85, deviations 0 0.01 0.01 0 0 0.02 (MAD 0.005)
    assert v.drop == pytest.approx(0.15)
    assert v.noise == pytest.approx(1.4826 * 0.005 / 6**0.5)
    assert v.decided and v.regressed
    assert (v.baseline_median, v.now_median) == (100.0, 85.0)


def test_a_12_percent_drop_under_little_noise_is_a_regression() -> None:
    v = alternating.verdict([100.0, 102.0, 98.0, 101.0, 99.0], [88.0, 95.0, 80.0, 90.0, 86.0])
    # ratios 0.88, 0.9314, 0.8163, 0.8911, 0.8687: median 0.88; deviations 0, 0.0514, 0.0637, 0.0111, 0.0113
    assert v.drop == pytest.approx(0.12)
    assert v.noise == pytest.approx(1.4826 * 0.01131 / 5**0.5, rel=1e-3)
    assert v.regressed


def test_a_drop_within_the_tolerance_passes() -> None:
    v = alternating.verdict([100.0] * 5, [93.0, 92.0, 94.0, 93.0, 91.0])
    assert v.drop == pytest.approx(0.07)
    assert v.decided and not v.regressed


def test_noise_that_could_hide_a_10_percent_drop_leaves_it_undecided() -> None:
    v = alternating.verdict([100.0] * 5, [95.0, 70.0, 120.0, 80.0, 110.0])
    # ratios 0.95 0.70 1.20 0.80 1.10: median 0.95, deviations 0 0.25 0.25 0.15 0.15 (MAD 0.15)
    assert v.noise == pytest.approx(1.4826 * 0.15 / 5**0.5)  # 0.0995: a 10 % drop would not stand out
    assert not v.decided and not v.regressed


def test_one_slow_round_does_not_make_a_regression() -> None:
    """A burst of other work spoils one run: the median of the ratios does not follow it."""
    v = alternating.verdict([100.0, 100.0, 100.0, 100.0, 100.0], [99.0, 101.0, 40.0, 100.0, 98.0])
    assert v.drop == pytest.approx(0.01)
    assert v.decided and not v.regressed


def test_faster_is_never_a_regression() -> None:
    v = alternating.verdict([100.0] * 5, [150.0, 151.0, 149.0, 150.0, 150.0])
    assert v.drop == pytest.approx(-0.5)
    assert not v.regressed
    assert "50.0% faster" in v.describe()


def test_fewer_than_five_rounds_decide_nothing() -> None:
    """Even four steady halvings: four ratios say too little about the noise."""
    assert not alternating.verdict([100.0] * 4, [50.0] * 4).decided
    assert alternating.verdict([100.0] * 5, [50.0] * 5).regressed


def test_the_sides_must_pair_up() -> None:
    with pytest.raises(ValueError):
        alternating.verdict([100.0, 100.0], [100.0])
    with pytest.raises(ValueError):
        alternating.verdict([], [])


def test_the_order_swaps_every_round() -> None:
    assert [alternating.order(n) for n in range(4)] == [
        ("baseline", "now"),
        ("now", "baseline"),
        ("baseline", "now"),
        ("now", "baseline"),
    ]


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.org", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def test_the_baseline_is_a_worktree_of_its_commit_made_once(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "code.py").write_text("VERSION = 1\n")
    _git(repo, "add", "code.py")
    _git(repo, "commit", "-q", "-m", "first")
    first = _git(repo, "rev-parse", "HEAD")
    (repo / "code.py").write_text("VERSION = 2\n")
    _git(repo, "commit", "-q", "-am", "second")

    path = alternating.worktree("HEAD~1", repo=repo, under=tmp_path / "baselines")
    assert path == tmp_path / "baselines" / first[:12]
    assert (path / "code.py").read_text() == "VERSION = 1\n"
    assert (repo / "code.py").read_text() == "VERSION = 2\n"  # the working tree is untouched
    assert alternating.worktree(first, repo=repo, under=tmp_path / "baselines") == path  # reused
    with pytest.raises(ValueError, match="names no commit"):
        alternating.commit_of("no-such-branch", repo)


@pytest.mark.parametrize(
    ("regressed", "decided", "quick", "failure"),
    [
        (True, True, False, "http ingest: slower than HEAD (d402ce1f6846)"),
        (False, False, False, "too noisy to tell a 10% drop"),
        (False, True, False, None),
        (True, True, True, None),  # a quick run's verdict is printed, never gated
    ],
)
def test_bench_check_fails_on_a_regression_or_an_undecided_comparison(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    regressed: bool,
    decided: bool,
    quick: bool,
    failure: str | None,
) -> None:
    details = {"baseline": "HEAD (d402ce1f6846)", "verdict": "…", "regressed": regressed, "decided": decided}
    (tmp_path / "alternating.json").write_bytes(orjson.dumps({"details": details}))
    monkeypatch.setattr(run, "RESULTS", tmp_path)
    failures = run.alternating_failures(quick)
    if failure is None:
        assert failures == []
    else:
        assert len(failures) == 1 and failure in failures[0]
