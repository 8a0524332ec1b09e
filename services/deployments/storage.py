"""Where evidence documents live: a local directory (embedded) or a MinIO bucket (distributed).

Object keys are made by the service (``deployments/<record id>/<document id>``), never from an uploaded
file name, so no name can reach outside the store; ``LocalStore`` still refuses any key that would.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Protocol

from fastapi import FastAPI
from minio import Minio

from services.kit.settings import PlatformSettings


class DocumentStore(Protocol):
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


class MinioStore:
    def __init__(self, client: Minio, bucket: str) -> None:
        self.client = client
        self.bucket = bucket
        if not client.bucket_exists(bucket):
            client.make_bucket(bucket)

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


def open_store(settings: PlatformSettings) -> DocumentStore:
    if (settings.documents.store or ("local" if settings.embedded else "minio")) == "local":
        return LocalStore(settings.data_dir / "documents")
    client = Minio(
        settings.minio.endpoint,
        access_key=settings.minio.access_key,
        secret_key=settings.minio.secret_key,
        secure=False,
    )
    return MinioStore(client, settings.documents.bucket)


def startup(app: FastAPI) -> None:
    app.state.document_store = open_store(app.state.settings)


def document_store(app: FastAPI) -> DocumentStore:
    store: DocumentStore = app.state.document_store
    return store
