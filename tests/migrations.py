"""Migrations run on data stored before them: a service's Alembic tree on a database of each backend."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic.config import Config
from sqlalchemy import Connection, create_engine

from services.kit.migrations import alembic_config
from services.kit.spec import ServiceSpec


@contextmanager
def migrating(spec: ServiceSpec, url: str) -> Iterator[tuple[Config, Connection]]:
    """The service's Alembic config on one connection to ``url``, in one transaction: upgrade or downgrade
    through the config, store the old rows through the connection between the steps."""
    assert spec.migrations is not None
    config = alembic_config(spec.migrations, url, spec.version_table)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            yield config, conn
    finally:
        engine.dispose()
