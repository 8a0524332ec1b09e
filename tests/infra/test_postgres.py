"""PostgreSQL 15 is real: SQLAlchemy 2.x + psycopg 3 round trip, and the role may create databases."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from .conftest import PG_URL, Server


def test_sqlalchemy_round_trip(postgres_server: Server, unique: str) -> None:
    engine = create_engine(PG_URL)
    try:
        meta = MetaData()
        table = Table(
            f"infra_probe_{unique}",
            meta,
            Column("id", Integer, primary_key=True),
            Column("name", String(50), nullable=False),
            prefixes=["TEMPORARY"],
        )
        with engine.begin() as conn:
            version = conn.execute(text("SHOW server_version")).scalar_one()
            assert version.startswith("15."), version
            meta.create_all(conn)
            conn.execute(insert(table), [{"id": i, "name": f"machine-{i}"} for i in range(1, 6)])
            rows = conn.execute(select(table.c.id, table.c.name).order_by(table.c.id)).all()
            assert rows == [(i, f"machine-{i}") for i in range(1, 6)]
            assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 5
    finally:
        engine.dispose()


def test_role_can_create_databases(postgres_server: Server, unique: str) -> None:
    name = f"smartmfg_infra_{unique}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        db = create_engine(make_url(PG_URL).set(database=name))
        try:
            with db.connect() as conn:
                assert conn.execute(text("select current_database()")).scalar_one() == name
        finally:
            db.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
