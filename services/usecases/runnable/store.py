"""Model files, kept by their SHA-256: ``models/<sha256>.onnx`` in the models bucket (MinIO) or under
``data_dir/models`` (embedded), through the object store port (``services.kit.objects``).

The key is the content's hash, so a file is written once and never changed, and whoever reads it checks the
hash again (``load``): the use-cases service stores what an owner uploaded, the analytics service reads it for
a run, and neither trusts a name.
"""

from __future__ import annotations

import hashlib

from services.kit.app_state import AppState
from services.kit.objects import ObjectStore, open_store
from services.kit.settings import PlatformSettings
from services.kit.slots import Slot


class ModelMissing(LookupError):
    """No stored file has this hash (or the stored bytes no longer hash to it)."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _key(digest: str) -> str:
    return f"models/{digest}.onnx"


def open_models(settings: PlatformSettings) -> ObjectStore:
    kind = settings.documents.store or ("local" if settings.embedded else "minio")
    return open_store(settings, kind, settings.ai.bucket, "models")


MODELS: Slot[ObjectStore] = Slot("models")


def models_of(state: AppState) -> ObjectStore:
    """The process's model store: use cases, analytics and datasets share one, opened by the first."""
    found = state.find(MODELS)
    return found if found is not None else state.put(MODELS, open_models(state.settings))


def save(store: ObjectStore, data: bytes) -> str:
    """Store ``data`` under its hash (a second upload of the same bytes rewrites the same object) and return
    the hash."""
    digest = sha256(data)
    store.put(_key(digest), data, "application/octet-stream")
    return digest


def load(store: ObjectStore, digest: str) -> bytes:
    try:
        data = store.get(_key(digest))
    except Exception as exc:  # a missing object: FileNotFoundError locally, S3Error NoSuchKey on MinIO
        raise ModelMissing(digest) from exc
    if sha256(data) != digest:
        raise ModelMissing(digest)
    return data
