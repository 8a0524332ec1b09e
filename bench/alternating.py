"""A/B over time: the code of a baseline commit and the working tree, measured in alternating rounds.

On a machine whose load drifts (other work, thermal limits, a noisy neighbour), two runs taken minutes
apart differ by more than a 10 % regression. A fixed baseline file cannot tell the two apart; measuring
both codes in the same minutes can. Each round measures both, the order swapped every round (ABBA...),
so that a drift during a round weighs on both sides alike. Per round the ratio now / baseline is taken;
the verdict reads the median of those ratios and their scatter:

  * drop   = 1 - median(ratios);
  * noise  = 1.4826 * MAD(ratios) / sqrt(rounds): about the standard error of that median ratio,
    estimated from the median absolute deviation (robust to the odd run a burst of other work spoiled);
  * the comparison is decided once there are MIN_ROUNDS rounds and 2 * noise < tolerance (a drop of the
    tolerance would stand out of the noise); it fails when drop > tolerance and drop > 2 * noise. Until
    decided, more rounds are taken, up to a maximum; a comparison still undecided then fails as too noisy:
    a gate that passes what it could not see is no gate. (Fewer than five ratios make the noise estimate
    itself a guess: three rounds on a loaded machine once agreed on a 30 % drop that eight did not show.)

The baseline's code is a ``git worktree`` of the baseline commit under ``.cache/bench-baseline/``; the
benchmark serves the platform from it (its processes' working directory and PYTHONPATH), while the
benchmark's own driver and gateways stay those of the working tree, so both sides get the same load. Every
run gets a platform of its own, started for it: two platforms kept up for the whole comparison drifted
apart by 17 % with the same commit on both sides (docs/benchmarks.md), which no order of runs cancels.
"""

from __future__ import annotations

import math
import statistics
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchkit import ROOT

WORKTREES = ROOT / ".cache" / "bench-baseline"
TOLERANCE = 0.10
MIN_ROUNDS = 5
MAD_TO_SIGMA = 1.4826  # a normal distribution's standard deviation is 1.4826 times its MAD


def commit_of(ref: str, repo: Path = ROOT) -> str:
    """The full commit id ``ref`` names (a branch, tag, HEAD~3, an id)."""
    out = subprocess.run(
        ["git", "rev-parse", "--verify", f"{ref}^{{commit}}"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise ValueError(f"{ref!r} names no commit: {out.stderr.strip()}")
    return out.stdout.strip()


def worktree(ref: str, repo: Path = ROOT, under: Path = WORKTREES) -> Path:
    """A detached checkout of ``ref`` beside the working tree (made once per commit, then reused)."""
    commit = commit_of(ref, repo)
    path = under / commit[:12]
    if not (path / ".git").exists():
        under.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(path), commit],
            cwd=repo,
            check=True,
            capture_output=True,
        )
    return path


@dataclass(frozen=True)
class Verdict:
    rounds: int
    baseline_median: float
    now_median: float
    drop: float  # 1 - median(now / baseline per round): positive when the working tree is slower
    noise: float  # standard error of the median ratio
    decided: bool  # 2 * noise < tolerance: a drop of the tolerance would have shown
    regressed: bool  # decided, drop > tolerance and drop > 2 * noise

    def describe(self) -> str:
        change = f"{self.drop:.1%} slower" if self.drop >= 0 else f"{-self.drop:.1%} faster"
        return (
            f"{self.rounds} alternating rounds: now {change} than the baseline (median of the rounds' "
            f"ratios, noise ± {self.noise:.1%}); medians {self.now_median:,.0f} now, "
            f"{self.baseline_median:,.0f} baseline"
        )


def verdict(baseline: Sequence[float], now: Sequence[float], tolerance: float = TOLERANCE) -> Verdict:
    """The comparison of paired rounds (``baseline[i]`` and ``now[i]`` measured in the same round); rates,
    higher is better."""
    if len(baseline) != len(now) or not baseline:
        raise ValueError("one figure per side and round, at least one round")
    ratios = [n / b for b, n in zip(baseline, now, strict=True)]
    middle = statistics.median(ratios)
    mad = statistics.median(abs(r - middle) for r in ratios)
    noise = MAD_TO_SIGMA * mad / math.sqrt(len(ratios))
    drop = 1 - middle
    decided = len(ratios) >= MIN_ROUNDS and 2 * noise < tolerance
    return Verdict(
        rounds=len(ratios),
        baseline_median=statistics.median(baseline),
        now_median=statistics.median(now),
        drop=drop,
        noise=noise,
        decided=decided,
        regressed=decided and drop > tolerance and drop > 2 * noise,
    )


def order(round_: int) -> tuple[str, str]:
    """Which side goes first in a round: ABBA, so that neither side always runs on a warmer machine."""
    return ("baseline", "now") if round_ % 2 == 0 else ("now", "baseline")
