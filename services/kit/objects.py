"""The object store port: bytes under keys, in a local directory (embedded) or a MinIO bucket (distributed).

Keys are made by the services (``deployments/<record id>/<document id>``, ``datasets/<id>/<version>/...``),
never from an uploaded file name, so no name can reach outside the store; ``LocalStore`` still refuses any
key that would. A ``put`` is whole or absent: the local adapter writes a temporary file and renames it,
MinIO makes an object visible only once its upload completed.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Protocol

from minio import Minio
from minio.error import S3Error

from services.kit.settings import PlatformSettings


class ObjectStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"object key outside the store: {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def ensure_bucket(client: Minio, bucket: str) -> None:
    """Make ``bucket`` unless it exists. Processes starting together (two pods, two test workers) race to
    make it; the loser finds it made, which is what it wanted."""
    if client.bucket_exists(bucket):
        return
    try:
        client.make_bucket(bucket)
    except S3Error as exc:
        if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise


class MinioStore:
    def __init__(self, client: Minio, bucket: str) -> None:
        self.client = client
        self.bucket = bucket
        ensure_bucket(client, bucket)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(self.bucket, key, io.BytesIO(data), len(data), content_type=content_type)

    def get(self, key: str) -> bytes:
        response = self.client.get_object(self.bucket, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def delete(self, key: str) -> None:
        self.client.remove_object(self.bucket, key)


def open_store(settings: PlatformSettings, kind: str, bucket: str, directory: str) -> ObjectStore:
    """``kind`` "local": ``data_dir/<directory>``; "minio": ``bucket`` on the configured MinIO."""
    if kind == "local":
        return LocalStore(settings.data_dir / directory)
    client = Minio(
        settings.minio.endpoint,
        access_key=settings.minio.access_key,
        secret_key=settings.minio.secret_key,
        secure=False,
    )
    return MinioStore(client, bucket)
