"""Settings grouped per deployable: a group's variables carry its name, copies are validated, and a child
process given ``environment()`` reads the same settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from services.kit.settings import PlatformSettings


def test_a_groups_variables_carry_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTMFG_LAKE_BUCKET", "lake-b")
    monkeypatch.setenv("SMARTMFG_LAKE_CATALOG_URL", "sqlite:///catalog.db")
    monkeypatch.setenv("SMARTMFG_BUS_KIND", "kafka")
    monkeypatch.setenv("SMARTMFG_WRITER_FLUSH_ROWS", "42")
    monkeypatch.setenv("SMARTMFG_RATE_LIMIT_PUBLIC_PER_MINUTE", "7")
    monkeypatch.setenv("SMARTMFG_SERVICE_URLS", '{"deployments": "http://deployments:8000"}')
    # the server recipes' own variables (infra/) share the prefix and are not settings
    monkeypatch.setenv("SMARTMFG_KAFKA_PORT", "59092")
    monkeypatch.setenv("SMARTMFG_MINIO_ROOT_USER", "root")
    settings = PlatformSettings()
    assert settings.lake.bucket == "lake-b" and settings.lake.catalog_url == "sqlite:///catalog.db"
    assert settings.bus.kind == "kafka" and settings.bus_kind == "kafka"
    assert settings.writer.flush_rows == 42 and settings.writer.group == "smartmfg-lake-writer"
    assert settings.rate_limit.public_per_minute == 7 and settings.rate_limit.uploads_per_minute == 600
    assert settings.service_urls == {"deployments": "http://deployments:8000"}
    assert settings.catalog_url == "sqlite:///catalog.db"


def test_a_copy_changes_one_field_of_a_group_and_is_validated(tmp_path: Path) -> None:
    settings = PlatformSettings(data_dir=tmp_path, lake={"bucket": "a", "namespace": "n"})
    copy = settings.replaced(lake={"bucket": "b"}, data_dir=str(tmp_path / "other"))
    assert (copy.lake.bucket, copy.lake.namespace) == ("b", "n")
    assert copy.data_dir == tmp_path / "other"  # validated: a Path, not the string given
    assert settings.lake.bucket == "a"
    with pytest.raises(ValueError, match="SMARTMFG_OIDC_ISSUER is required"):
        settings.replaced(topology="distributed")


def test_a_child_process_reads_the_same_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = PlatformSettings(
        data_dir=tmp_path,
        database={"url": "postgresql+psycopg://u:p@db/x"},
        bus={"kind": "kafka", "topic_prefix": "t"},
        writer={"embedded": False, "flush_seconds": 0.25},
        service_urls={"standards": "http://standards:8000"},
    )
    environment = settings.environment()
    assert environment["SMARTMFG_WRITER_EMBEDDED"] == "False"
    assert "SMARTMFG_LAKE_CATALOG_URL" not in environment  # unset stays unset (its default is derived)
    for name in list(os.environ):
        if name.startswith("SMARTMFG_"):
            monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert PlatformSettings() == settings
