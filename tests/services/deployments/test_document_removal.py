"""Removing an evidence document: only from a draft, only by the organisation that uploaded it (or an admin),
never what a published revision listed; the row, the bytes in the store, the history and the audit trail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from minio import Minio

from platform_api.app import create_app
from services.kit.app_state import state_of
from services.kit.settings import PlatformSettings
from services.kit.tokens import DEV_ISSUER
from tests.services.deployments.conftest import PDF, URL, World
from tests.services.deployments.test_privacy_and_documents import _world_on, upload

AUDIT = "/api/v1/identity/audit"


def stored_files(settings: PlatformSettings, record_id: str) -> list[str]:
    folder = Path(settings.data_dir, "documents", "deployments", record_id)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def remove(world: World, record: dict[str, Any], document_id: str, headers: dict[str, str]) -> Any:
    return world.client.delete(f"{URL}/{record['id']}/documents/{document_id}", headers=headers)


def test_the_uploader_removes_a_drafts_document(world: World, settings: PlatformSettings) -> None:
    record = world.create(headers=world.vendor)
    upload(world, record, "견적서.pdf", PDF, world.vendor)
    uploaded = upload(world, record, "도면.pdf", PDF, world.vendor, stage_code="DESIGN")
    first, second = (d["id"] for d in uploaded.json()["documents"])
    assert stored_files(settings, record["id"]) == sorted([first, second])
    etag = uploaded.headers["ETag"]

    stale = world.client.delete(
        f"{URL}/{record['id']}/documents/{first}", headers={**world.vendor, "If-Match": '"1"'}
    )
    assert stale.status_code == 412, stale.text
    removed = world.client.delete(
        f"{URL}/{record['id']}/documents/{first}", headers={**world.vendor, "If-Match": etag}
    )
    assert removed.status_code == 200, removed.text
    assert [d["filename"] for d in removed.json()["documents"]] == ["도면.pdf"]
    assert removed.headers["ETag"] != etag
    assert stored_files(settings, record["id"]) == [second]
    got = world.client.get(f"{URL}/{record['id']}/documents/{first}", headers=world.vendor)
    assert got.status_code == 404
    assert remove(world, record, first, world.vendor).status_code == 404  # once

    history = world.client.get(f"{URL}/{record['id']}/history", headers=world.vendor).json()["items"]
    last = history[-1]
    assert last["action"] == "remove_document" and last["changed"] == [f"documents.{first}"]
    assert last["actor_username"] == "vendor3" and last["status"] == "draft"
    trail = world.client.get(
        AUDIT, params={"resource_type": "dep_documents", "actor": "vendor3"}, headers=world.admin
    ).json()["items"]
    deleted = [e for e in trail if e["action"] == "delete"]
    assert len(deleted) == 1 and deleted[0]["resource_id"] == first
    assert deleted[0]["before"]["filename"] == "견적서.pdf"
    assert deleted[0]["request"] == f"DELETE {URL}/{record['id']}/documents/{first}"


def test_who_may_remove(world: World) -> None:
    record = world.create(headers=world.vendor)
    document_id = upload(world, record, "견적서.pdf", PDF, world.vendor).json()["documents"][0]["id"]
    url = f"{URL}/{record['id']}/documents/{document_id}"
    assert world.client.delete(url).status_code == 401
    assert world.client.delete(url, headers=world.outsider).status_code == 404  # a draft is not theirs
    assert world.client.delete(url, headers=world.agency).status_code == 403  # reviewer, not a party
    by_sme = world.client.delete(url, headers=world.sme)  # a party, but not the uploader
    assert by_sme.status_code == 403 and by_sme.json()["error"] == "Forbidden"
    unknown = world.client.delete(f"{URL}/{record['id']}/documents/nope", headers=world.vendor)
    assert unknown.status_code == 404
    assert world.client.delete(url, headers=world.admin).status_code == 200


def test_evidence_under_review_or_published_is_kept(world: World) -> None:
    record = world.finish_stages(world.create())
    document_id = record["documents"][0]["id"]
    assert world.act(record, "submit", world.sme).status_code == 200
    refused = remove(world, record, document_id, world.sme)
    assert refused.status_code == 409 and "only a draft's evidence" in refused.json()["detail"]
    # Sent back with a comment, it is a draft again: its evidence may change.
    assert world.act(record, "return", world.vendor, comment="설계 도면이 바뀌었습니다").status_code == 200
    assert remove(world, record, document_id, world.sme).status_code == 200
    record = world.finish_stages(world.client.get(f"{URL}/{record['id']}", headers=world.sme).json())
    published = world.publish(record)
    listed = published["documents"][0]["id"]
    frozen = remove(world, published, listed, world.admin)
    assert frozen.status_code == 409 and "under review or was published" in frozen.json()["detail"]
    # Revised, it is a draft of revision 2; what revision 1 listed stays, what revision 2 added may go.
    revised = world.client.patch(f"{URL}/{record['id']}", json={"sme_name": "개정"}, headers=world.sme)
    assert revised.status_code == 200 and revised.json()["revision"] == 2, revised.text
    kept = remove(world, published, listed, world.sme)
    assert kept.status_code == 409 and "revision 1" in kept.json()["detail"], kept.text
    added = upload(world, published, "추가.pdf", PDF, world.sme).json()["documents"]
    new_id = next(d["id"] for d in added if d["filename"] == "추가.pdf")
    assert remove(world, published, new_id, world.sme).status_code == 200


@pytest.mark.servers
def test_removal_deletes_the_object_in_minio(settings: PlatformSettings) -> None:
    bucket = "smartmfg-documents-test"
    minio_settings = settings.replaced(documents={"store": "minio", "bucket": bucket})
    with TestClient(create_app(minio_settings)) as client:
        world = _world_on(client, state_of(client.app).get(DEV_ISSUER))
        record = world.create(headers=world.vendor)
        document = upload(world, record, "점검표.pdf", PDF, world.vendor).json()["documents"][0]
        key = f"deployments/{record['id']}/{document['id']}"
        minio = Minio(
            settings.minio.endpoint,
            access_key=settings.minio.access_key,
            secret_key=settings.minio.secret_key,
            secure=False,
        )
        assert minio.get_object(bucket, key).read() == PDF
        assert remove(world, record, document["id"], world.vendor).status_code == 200
        names = {o.object_name for o in minio.list_objects(bucket, prefix=f"deployments/{record['id']}/")}
        assert key not in names
