"""MinIO is real: bucket/object round trip with the minio client, and DuckDB reads Parquet from it."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from minio import Minio

from .conftest import MINIO_ENDPOINT, MINIO_PASSWORD, MINIO_USER, Server


def _client() -> Minio:
    return Minio(MINIO_ENDPOINT, access_key=MINIO_USER, secret_key=MINIO_PASSWORD, secure=False)


def _empty_and_remove(client: Minio, bucket: str) -> None:
    for obj in client.list_objects(bucket, recursive=True):
        client.remove_object(bucket, obj.object_name)
    client.remove_bucket(bucket)


def test_bucket_put_get_list(minio_server: Server, unique: str) -> None:
    client = _client()
    bucket = f"infra-probe-{unique}"
    client.make_bucket(bucket)
    try:
        assert client.bucket_exists(bucket)
        payload = b'{"tag": "spindle_speed", "value": 1200}'
        client.put_object(
            bucket, "batches/b1.json", io.BytesIO(payload), len(payload), content_type="application/json"
        )
        response = client.get_object(bucket, "batches/b1.json")
        try:
            assert response.read() == payload
        finally:
            response.close()
            response.release_conn()
        names = [o.object_name for o in client.list_objects(bucket, prefix="batches/", recursive=True)]
        assert names == ["batches/b1.json"]
    finally:
        _empty_and_remove(client, bucket)


def _httpfs_extension() -> Path:
    import duckdb_extension_httpfs

    root = Path(duckdb_extension_httpfs.__file__).parent / "extensions"
    path = root / f"v{duckdb.__version__}" / "httpfs.duckdb_extension"
    if not path.exists():  # a wheel of another layout: take what it ships
        found = sorted(root.glob("*/httpfs.duckdb_extension"))
        assert found, f"no httpfs.duckdb_extension under {root}"
        path = found[-1]
    return path


def test_duckdb_reads_parquet_from_minio(minio_server: Server, unique: str) -> None:
    client = _client()
    bucket = f"infra-lake-{unique}"
    client.make_bucket(bucket)
    try:
        table = pa.table({"machine": ["m1", "m2", "m1", "m3"], "value": [1.5, 2.0, 3.5, 4.0]})
        buf = io.BytesIO()
        pq.write_table(table, buf)
        data = buf.getvalue()
        client.put_object(bucket, "telemetry/part-0.parquet", io.BytesIO(data), len(data))

        con = duckdb.connect()
        try:
            con.execute(f"INSTALL '{_httpfs_extension()}'")
            con.execute("LOAD httpfs")
            con.execute(
                f"CREATE SECRET minio (TYPE S3, KEY_ID '{MINIO_USER}', SECRET '{MINIO_PASSWORD}', "
                f"ENDPOINT '{MINIO_ENDPOINT}', URL_STYLE 'path', USE_SSL false, REGION 'us-east-1')"
            )
            rows = con.execute(
                f"SELECT machine, sum(value) FROM read_parquet('s3://{bucket}/telemetry/*.parquet') "
                "GROUP BY machine ORDER BY machine"
            ).fetchall()
        finally:
            con.close()
        assert rows == [("m1", 5.0), ("m2", 2.0), ("m3", 4.0)]
    finally:
        _empty_and_remove(client, bucket)
