"""The object store's bucket on real MinIO: processes starting together may race to make it, none fails."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
from minio import Minio
from minio.error import S3Error

from services.kit.objects import MinioStore, ensure_bucket
from tests.infra.conftest import MINIO_ENDPOINT, MINIO_PASSWORD, MINIO_USER

pytestmark = pytest.mark.servers


class LookedTooEarly(Minio):
    """A client that checked for the bucket just before another process made it."""

    def bucket_exists(self, bucket_name: str) -> bool:
        return False


def _client(kind: type[Minio] = Minio) -> Minio:
    return kind(MINIO_ENDPOINT, access_key=MINIO_USER, secret_key=MINIO_PASSWORD, secure=False)


@pytest.fixture
def bucket() -> Iterator[str]:
    name = f"objects-race-{uuid.uuid4().hex[:10]}"
    yield name
    client = _client()
    if client.bucket_exists(name):
        for obj in client.list_objects(name, recursive=True):
            client.remove_object(name, obj.object_name)
        client.remove_bucket(name)


def test_the_loser_of_the_race_finds_the_bucket_made(bucket: str) -> None:
    _client().make_bucket(bucket)
    ensure_bucket(_client(LookedTooEarly), bucket)  # MinIO answers BucketAlreadyOwnedByYou: no error
    store = MinioStore(_client(LookedTooEarly), bucket)
    store.put("a/b", b"kept", "text/plain")
    assert store.get("a/b") == b"kept"


def test_eight_processes_starting_at_once_all_get_the_bucket(bucket: str) -> None:
    start, failures = threading.Barrier(8), list[Exception]()

    def starting() -> None:
        start.wait()
        try:
            ensure_bucket(_client(), bucket)
        except Exception as exc:  # what a pod's start would die of
            failures.append(exc)

    threads = [threading.Thread(target=starting) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and _client().bucket_exists(bucket)


def test_other_refusals_are_not_swallowed(bucket: str) -> None:
    stranger = LookedTooEarly(MINIO_ENDPOINT, access_key="nobody", secret_key="wrong-secret", secure=False)
    with pytest.raises(S3Error) as refused:
        ensure_bucket(stranger, bucket)
    assert refused.value.code == "InvalidAccessKeyId"
