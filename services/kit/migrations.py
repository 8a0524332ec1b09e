"""Alembic glue: each service keeps its own migration tree and version table."""

from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Engine, MetaData, pool
from sqlalchemy.engine import Connection


def alembic_config(script_location: Path, url: str, version_table: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.set_main_option("version_table", version_table)
    return cfg


def upgrade(script_location: Path, engine: Engine, version_table: str) -> None:
    cfg = alembic_config(script_location, engine.url.render_as_string(hide_password=False), version_table)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


def run_env(metadata: MetaData) -> None:
    """Body of every service's ``env.py``: migrate on the given connection or on the configured URL."""
    cfg = context.config
    version_table = cfg.get_main_option("version_table") or "alembic_version"
    connection: Connection | None = cfg.attributes.get("connection")
    if connection is not None:
        _migrate(connection, metadata, version_table)
        return
    from sqlalchemy import create_engine

    engine = create_engine(cfg.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.begin() as conn:
        _migrate(conn, metadata, version_table)


def _migrate(connection: Connection, metadata: MetaData, version_table: str) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=version_table,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
