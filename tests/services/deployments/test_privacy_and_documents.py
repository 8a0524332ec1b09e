"""Private fields and evidence documents: who sees them, the SME's consent, hostile uploads, both stores."""

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
from tests.services.deployments.conftest import PDF, URL, World, build_world

PRIVATE = ("support_amount_krw", "company_share_krw", "contract", "documents")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def private_part(record: dict[str, Any]) -> dict[str, Any]:
    return {k: record[k] for k in PRIVATE} | {"address": record["factory"]["address"]}


def upload(
    world: World, record: dict[str, Any], name: str, data: bytes, headers: dict[str, str], **form: str
) -> Any:
    return world.client.post(
        f"{URL}/{record['id']}/documents",
        files={"file": (name, data, "application/pdf")},
        data=form,
        headers=headers,
    )


def test_private_fields_by_role(world: World) -> None:
    record = world.published()
    url = f"{URL}/{record['id']}"
    for name in ("sme", "vendor", "agency", "admin"):
        seen = world.client.get(url, headers=getattr(world, name)).json()
        assert seen["private_visible"] is True, name
        assert seen["support_amount_krw"] == 150_000_000 and seen["contract"]["number"] == "2025-SF-0142"
        assert seen["factory"]["address"] and len(seen["documents"]) == 12
    for headers in (None, world.sme2, world.outsider, world.agency_seoul):
        seen = world.client.get(url, headers=headers).json()
        assert seen["private_visible"] is False
        assert set(private_part(seen).values()) == {None}
        assert all(s["document_ids"] == [] for s in seen["stages"])
        assert seen["title"] == record["title"] and seen["kpis"] == record["kpis"]  # the rest is public
    document_id = record["documents"][0]["id"]
    for headers in (None, world.sme2, world.outsider):
        refused = world.client.get(f"{url}/documents/{document_id}", headers=headers)
        assert refused.status_code == 403 and refused.json()["error"] == "Forbidden"
    got = world.client.get(f"{url}/documents/{document_id}", headers=world.agency)
    assert got.status_code == 200 and got.content == PDF and got.headers["content-type"] == "application/pdf"
    assert "attachment" in got.headers["content-disposition"]
    assert world.client.get(f"{url}/documents/nope", headers=world.sme).status_code == 404
    # A draft's documents do not exist for others.
    draft = world.create()
    doc = upload(world, draft, "plan.pdf", PDF, world.sme).json()["documents"][0]["id"]
    assert world.client.get(f"{URL}/{draft['id']}/documents/{doc}", headers=world.sme2).status_code == 404
    assert world.client.get(f"{URL}/{draft['id']}/documents/{doc}", headers=world.vendor).status_code == 200


def test_the_smes_consent_opens_private_fields_until_revoked(world: World) -> None:
    record = world.published()
    url = f"{URL}/{record['id']}"
    document = f"{url}/documents/{record['documents'][0]['id']}"
    client = world.client
    for org_id in ("org-sme-1", "org-vendor-5"):
        kind = "sme" if "sme" in org_id else "vendor"
        made = client.post(
            "/api/v1/identity/organisations",
            json={"id": org_id, "kind": kind, "name": {"ko": org_id}},
            headers=world.admin,
        )
        assert made.status_code in (201, 409), made.text  # companies may have registered it
    assert client.get(url, headers=world.outsider).json()["private_visible"] is False
    # A consent of another scope opens nothing.
    telemetry = {"grantee_org_id": "org-vendor-5", "scope": "telemetry"}
    assert client.post("/api/v1/identity/consents", json=telemetry, headers=world.sme).status_code == 201
    assert client.get(url, headers=world.outsider).json()["private_visible"] is False
    granted = client.post(
        "/api/v1/identity/consents",
        json={"grantee_org_id": "org-vendor-5", "scope": "deployments"},
        headers=world.sme,
    )
    assert granted.status_code == 201, granted.text
    seen = client.get(url, headers=world.outsider).json()
    assert seen["private_visible"] is True and seen["support_amount_krw"] == 150_000_000
    assert client.get(document, headers=world.outsider).status_code == 200
    assert (
        client.get(f"{URL}/{record['id']}/revisions/1", headers=world.outsider).json()["contract"] is not None
    )
    # Only the grantee: another vendor still sees nothing, the public neither.
    assert client.get(url, headers=world.designated).json()["private_visible"] is False
    assert client.get(url).json()["private_visible"] is False
    revoked = client.delete(f"/api/v1/identity/consents/{granted.json()['id']}", headers=world.sme)
    assert revoked.status_code == 200
    assert client.get(url, headers=world.outsider).json()["private_visible"] is False
    assert client.get(document, headers=world.outsider).status_code == 403
    # A consent limited to another factory does not cover this record's.
    other = {"grantee_org_id": "org-vendor-5", "scope": "deployments", "factory_id": "factory-sme-1-z"}
    assert client.post("/api/v1/identity/consents", json=other, headers=world.sme).status_code == 201
    assert client.get(url, headers=world.outsider).json()["private_visible"] is False
    # A consent never reveals a record that is not published.
    draft = world.create()
    assert client.get(f"{URL}/{draft['id']}", headers=world.outsider).status_code == 404


@pytest.mark.parametrize(
    ("name", "data", "status", "loc"),
    [
        ("../../etc/passwd.pdf", PDF, 422, "body.file"),
        ("..\\..\\boot.ini.pdf", PDF, 422, "body.file"),
        ("reports/final.pdf", PDF, 422, "body.file"),
        (".hidden.pdf", PDF, 422, "body.file"),
        ("evil\u202egpj.pdf", PDF, 422, "body.file"),  # right-to-left override
        ("C:report.pdf", PDF, 422, "body.file"),
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 60, 415, "body.file"),
        ("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 60, 415, "body.file"),  # a program named .pdf
        ("photo.png", PDF, 415, "body.file"),  # content and extension disagree
        ("page.html", b"<html><script>alert(1)</script></html>", 415, "body.file"),
        ("empty.pdf", b"", 422, "body.file"),
    ],
)
def test_hostile_uploads_are_refused(world: World, name: str, data: bytes, status: int, loc: str) -> None:
    record = world.create()
    answer = upload(world, record, name, data, world.sme)
    assert answer.status_code == status, answer.text
    assert loc in [f["loc"] for f in answer.json()["fields"]]
    documents = world.client.get(f"{URL}/{record['id']}", headers=world.sme).json()["documents"]
    assert documents == []


def test_uploads_are_size_limited_and_scoped(world: World, settings: PlatformSettings) -> None:
    record = world.create()
    big = PDF + b"0" * (settings.documents.max_bytes - len(PDF) + 1)
    assert upload(world, record, "big.pdf", big, world.sme).status_code == 413
    exact = PDF + b"0" * (settings.documents.max_bytes - len(PDF))
    assert upload(world, record, "exact.pdf", exact, world.sme).status_code == 201
    wrong_stage = upload(world, record, "plan.pdf", PDF, world.sme, stage_code="LAUNCH")
    assert wrong_stage.status_code == 422 and wrong_stage.json()["fields"][0]["loc"] == "body.stage_code"
    assert upload(world, record, "plan.pdf", PDF, world.outsider).status_code == 404
    assert upload(world, record, "plan.pdf", PDF, world.agency).status_code == 403  # not a party
    assert upload(world, record, "plan.pdf", PDF, {}).status_code == 401
    png = upload(world, record, "도면.png", PNG, world.vendor, stage_code="DESIGN").json()
    stored = next(d for d in png["documents"] if d["filename"] == "도면.png")
    assert stored["content_type"] == "image/png" and stored["size_bytes"] == len(PNG)
    design = next(s for s in png["stages"] if s["code"] == "DESIGN")
    assert design["document_ids"] == [stored["id"]]
    # The bytes are in the store under the service's own key, nowhere else.
    files = sorted(
        p.relative_to(settings.data_dir)
        for p in settings.data_dir.rglob("*")
        if p.is_file() and "documents" in p.parts
    )
    assert Path("documents", "deployments", record["id"], stored["id"]) in files
    assert len(files) == 2


@pytest.mark.servers
def test_documents_live_in_minio_in_the_distributed_topology(settings: PlatformSettings) -> None:
    bucket = "smartmfg-documents-test"
    minio_settings = settings.replaced(documents={"store": "minio", "bucket": bucket})
    with TestClient(create_app(minio_settings)) as client:
        issuer = state_of(client.app).get(DEV_ISSUER)
        world = _world_on(client, issuer)
        record = world.create()
        answer = upload(world, record, "점검표.pdf", PDF, world.sme, stage_code="INSPECT")
        assert answer.status_code == 201, answer.text
        document = answer.json()["documents"][0]
        minio = Minio(
            settings.minio.endpoint,
            access_key=settings.minio.access_key,
            secret_key=settings.minio.secret_key,
            secure=False,
        )
        key = f"deployments/{record['id']}/{document['id']}"
        assert minio.get_object(bucket, key).read() == PDF
        got = client.get(f"{URL}/{record['id']}/documents/{document['id']}", headers=world.vendor)
        assert got.content == PDF
        assert client.delete(f"{URL}/{record['id']}", headers=world.sme).status_code == 204
        assert key not in {
            o.object_name
            for o in minio.list_objects(bucket, prefix=f"deployments/{record['id']}/", recursive=True)
        }


def _world_on(client: TestClient, issuer: Any) -> World:
    """The deployments test world on another app (the ``world`` fixture is bound to ``client``)."""

    def auth(*roles: str, org_id: str | None = None, **extra: Any) -> dict[str, str]:
        token = issuer.issue(subject=f"{org_id}-user", roles=list(roles), org_id=org_id, **extra)
        return {"Authorization": f"Bearer {token}"}

    return build_world(client, auth)
