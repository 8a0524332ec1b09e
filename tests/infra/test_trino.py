"""Trino is real: version 476 started by infra/trino, and its `lake` catalog reads what pyiceberg writes
to the JDBC catalog in PostgreSQL and to MinIO (the same tables the platform's lake writers append)."""

from __future__ import annotations

import json
import urllib.request

import pyarrow as pa
import trino
from pyiceberg.catalog.sql import SqlCatalog

from .conftest import HOST, MINIO_ENDPOINT, MINIO_PASSWORD, MINIO_USER, PG_URL, TRINO_PORT, Server


def test_trino_476_reads_a_table_pyiceberg_wrote(
    postgres_server: Server, minio_server: Server, unique: str
) -> None:
    Server("Trino", TRINO_PORT).require()
    with urllib.request.urlopen(f"http://{HOST}:{TRINO_PORT}/v1/info", timeout=10) as answer:
        info = json.load(answer)
    assert info["nodeVersion"]["version"] == "476" and info["starting"] is False

    # the catalog name and bucket infra/trino/server.sh gives Trino's `lake` catalog (catalog/lake.py's)
    catalog = SqlCatalog(
        "smartmfg",
        uri=PG_URL,
        warehouse=f"s3://smartmfg-lake/infra-probe-{unique}",
        **{
            "s3.endpoint": f"http://{MINIO_ENDPOINT}",
            "s3.access-key-id": MINIO_USER,
            "s3.secret-access-key": MINIO_PASSWORD,
            "s3.region": "us-east-1",
        },
    )
    namespace = f"infra_probe_{unique}"
    catalog.create_namespace(namespace)
    try:
        rows = pa.table({"factory_id": ["f-1", "f-1", "f-2"], "value": [1.5, 2.5, 10.0]})
        table = catalog.create_table(f"{namespace}.readings", schema=rows.schema)
        table.append(rows)
        snapshot_id = table.current_snapshot().snapshot_id  # type: ignore[union-attr]

        cursor = trino.dbapi.connect(host=HOST, port=TRINO_PORT, user="smartmfg", catalog="lake").cursor()
        cursor.execute(
            f'SELECT factory_id, count(*), sum(value) FROM "{namespace}".readings GROUP BY 1 ORDER BY 1'
        )
        assert cursor.fetchall() == [["f-1", 2, 4.0], ["f-2", 1, 10.0]]
        cursor.execute(f'SELECT snapshot_id FROM "{namespace}"."readings$snapshots"')
        assert cursor.fetchall() == [[snapshot_id]]
    finally:
        for identifier in catalog.list_tables(namespace):
            catalog.purge_table(identifier)
        catalog.drop_namespace(namespace)
