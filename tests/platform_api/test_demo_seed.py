"""The demo seed's record of what is in (``demo-seed.json``): complete only when every section of the world
and every finishing step are counted, so that a rerun of a finished seed does nothing and a rerun of a
half-done one (killed at any point) finishes it. tests/e2e/test_make_run.py kills a real seed and reruns
it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from platform_api.demo_data import build_world
from platform_api.demo_seed import FINISHING, SeedProgress, _sections, seed_embedded
from services.kit.settings import PlatformSettings


def _all_sent(path: Path, *steps: str) -> SeedProgress:
    """A progress file as a seed leaves it once every item of today's world is sent and ``steps`` ran."""
    counts = {section: len(items) for section, items, _ in _sections(build_world())}
    path.write_text(json.dumps(counts | dict.fromkeys(steps, 1)))
    return SeedProgress(path)


def test_the_finishing_steps_run_in_this_order() -> None:
    assert [step for step, _ in FINISHING] == ["telemetry", "kpis", "dataset", "rollups"]


def test_a_fresh_data_dir_is_not_seeded(tmp_path: Path) -> None:
    assert not SeedProgress(tmp_path / "demo-seed.json").complete(build_world())


def test_a_seed_killed_before_its_last_step_is_not_complete(tmp_path: Path) -> None:
    progress = _all_sent(tmp_path / "demo-seed.json", "telemetry", "kpis", "dataset")
    assert not progress.complete(build_world())


def test_a_seed_killed_in_the_middle_of_a_section_is_not_complete(tmp_path: Path) -> None:
    progress = _all_sent(tmp_path / "demo-seed.json", "telemetry", "kpis", "dataset", "rollups")
    progress.done["deployments"] = 17
    assert not progress.complete(build_world())


def test_every_section_and_step_counted_is_complete_until_the_world_grows(tmp_path: Path) -> None:
    progress = _all_sent(tmp_path / "demo-seed.json", "telemetry", "kpis", "dataset", "rollups")
    world = build_world()
    assert progress.complete(world)
    grown = replace(world, deployments=[*world.deployments, world.deployments[0]])
    assert not progress.complete(grown)


def test_rerunning_a_complete_seed_starts_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SMARTMFG_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SMARTMFG_TOPOLOGY", "embedded")
    monkeypatch.delenv("SMARTMFG_DATABASE_URL", raising=False)
    _all_sent(tmp_path / "demo-seed.json", "telemetry", "kpis", "dataset", "rollups")
    seed_embedded(PlatformSettings())
    assert capsys.readouterr().out == "demo data already loaded\n"
    # neither a platform (its database) nor the lake was opened
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo-seed.json"]
