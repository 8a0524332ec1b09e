"""Where evidence documents live: a local directory (embedded) or a MinIO bucket (distributed), through the
object store port (``services.kit.objects``) under keys the service makes
(``deployments/<record id>/<document id>``), never an uploaded file name.
"""

from __future__ import annotations

from fastapi import FastAPI

from services.kit.app_state import state_of
from services.kit.objects import ObjectStore
from services.kit.objects import open_store as open_object_store
from services.kit.settings import PlatformSettings
from services.kit.slots import Slot

DocumentStore = ObjectStore


def open_store(settings: PlatformSettings) -> DocumentStore:
    kind = settings.documents.store or ("local" if settings.embedded else "minio")
    return open_object_store(settings, kind, settings.documents.bucket, "documents")


DOCUMENTS: Slot[DocumentStore] = Slot("document_store")


def startup(app: FastAPI) -> None:
    state = state_of(app)
    state.put(DOCUMENTS, open_store(state.settings))


def document_store(app: FastAPI) -> DocumentStore:
    return state_of(app).get(DOCUMENTS)
