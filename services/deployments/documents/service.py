"""Evidence documents of a record: checked name, size and type (by content, not by the declared type).

A file name is only a label: the object key is ``deployments/<record>/<document id>``, so a name cannot
reach outside the store. Names carrying paths, parent references, control characters or hidden-file dots
are still refused, so that a download never offers a name that tricks the downloader either.

Evidence is removed only from a draft (a new one or one sent back), by the organisation that uploaded it
or an admin. What a reviewer has seen stays: nothing is removed while the record is under review, verified
or published, nor a document that a published revision listed (a revised draft keeps its predecessor's
evidence, which the published snapshot in the history names).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from sqlalchemy.orm import Session

from services.deployments import access, repository
from services.deployments.changes import begin_change, check_version, finish_change
from services.deployments.models import DeploymentRecord, Document
from services.kit.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
    field_error,
)
from services.kit.messages import Msg
from services.kit.principal import Principal

# Accepted types by their leading bytes; OOXML files (docx, xlsx, pptx) are ZIP containers.
SIGNATURES: tuple[tuple[bytes, str, tuple[str, ...]], ...] = (
    (b"%PDF-", "application/pdf", (".pdf",)),
    (b"\x89PNG\r\n\x1a\n", "image/png", (".png",)),
    (b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg")),
    (
        b"PK\x03\x04",
        "application/zip",
        (".docx", ".xlsx", ".pptx", ".hwpx"),
    ),
)
ALLOWED = ", ".join(ext for _, _, exts in SIGNATURES for ext in exts)
_BAD_NAME = re.compile(r"[/\\:*?\"<>|]|\.\.")


def _name_problem(filename: str) -> Msg | None:
    if not filename or len(filename) > 200:
        return Msg("1 to 200 characters")
    if _BAD_NAME.search(filename) or filename.startswith("."):
        return Msg("a plain file name: no path, '..', leading dot or any of / \\ : * ? \" < > |")
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in filename):
        return Msg("no control or invisible formatting characters")
    return None


def sniff(filename: str, data: bytes) -> str:
    """The content type, from the bytes; the extension must agree with it."""
    extension = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    for magic, content_type, extensions in SIGNATURES:
        if data.startswith(magic):
            if extension not in extensions:
                break
            return content_type
    raise UnsupportedMediaType(
        Msg(
            "'{filename}' is not an accepted document ({allowed}) "
            "or its content does not match its extension",
            filename=filename,
            allowed=ALLOWED,
        ),
        fields=[
            field_error(
                "body.file", Msg("accepted: {allowed}, content matching the extension", allowed=ALLOWED)
            )
        ],
    )


def checked(
    filename: str, data: bytes, max_bytes: int, stage_code: str | None, record: DeploymentRecord
) -> str:
    problem = _name_problem(filename)
    if problem:
        raise ValidationFailed(
            Msg("invalid file name: {problem}", problem=problem),
            fields=[field_error("body.file", Msg("file name: {problem}", problem=problem))],
        )
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            Msg("a document may hold at most {max_bytes} bytes", max_bytes=max_bytes),
            fields=[field_error("body.file", Msg("at most {max_bytes} bytes", max_bytes=max_bytes))],
        )
    if not data:
        raise ValidationFailed(Msg("the file is empty"), fields=[field_error("body.file", Msg("empty"))])
    if stage_code is not None and stage_code not in {s["code"] for s in record.stages}:
        raise ValidationFailed(
            Msg("the record's process has no stage '{stage_code}'", stage_code=stage_code),
            fields=[
                field_error(
                    "body.stage_code",
                    Msg("one of: {codes}", codes=", ".join(s["code"] for s in record.stages)),
                )
            ],
        )
    return sniff(filename, data)


def add(
    session: Session,
    principal: Principal,
    record_id: str,
    filename: str,
    data: bytes,
    stage_code: str | None,
    max_bytes: int,
    expected: int | None,
) -> Document:
    """Registers the document (the caller stores the bytes under its key before the transaction commits)."""
    record = repository.get(session, record_id)
    action = begin_change(principal, record, expected)
    content_type = checked(filename, data, max_bytes, stage_code, record)
    document = Document(
        record_id=record.id,
        stage_code=stage_code,
        filename=filename,
        content_type=content_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_key="",
        uploaded_by=principal.username or principal.subject,
        uploader_org_id=principal.org_id,
    )
    record.documents.append(document)
    session.flush()
    document.storage_key = f"deployments/{record.id}/{document.id}"
    finish_change(session, principal, record, action, changed=[f"documents.{document.id}"])
    return document


def _frozen_reason(session: Session, record: DeploymentRecord, document: Document) -> Msg | None:
    if record.status != "draft":
        return Msg(
            "only a draft's evidence is removed: this record is under review or was published, "
            "and its evidence is kept as reviewed"
        )
    # A revision above 1 was opened by changing a published record: its predecessor's snapshot lists them.
    published = repository.published_snapshot(session, record.id, record.revision - 1)
    snapshot = published.snapshot if published is not None else None
    listed = (snapshot or {}).get("documents") or []
    if any(d.get("id") == document.id for d in listed):
        return Msg(
            "'{filename}' is evidence of published revision {revision}: it stays with that revision",
            filename=document.filename,
            revision=record.revision - 1,
        )
    return None


def remove(
    session: Session, principal: Principal, record_id: str, document_id: str, expected: int | None
) -> str:
    """Removes a draft's document; returns its storage key (the caller deletes the bytes after the commit)."""
    record = repository.get(session, record_id)
    access.require_party(principal, record)
    document = next((d for d in record.documents if d.id == document_id), None)
    if document is None:
        raise NotFound(Msg("document '{document_id}' does not exist", document_id=document_id))
    if not principal.is_admin and document.uploader_org_id != principal.org_id:
        raise Forbidden(Msg("only the organisation that uploaded a document, or an admin, removes it"))
    check_version(record, expected)
    reason = _frozen_reason(session, record, document)
    if reason is not None:
        raise Conflict(reason)
    record.documents.remove(document)
    session.delete(document)  # named, not only orphaned: the audit hook sees what the session deletes
    finish_change(session, principal, record, "remove_document", changed=[f"documents.{document.id}"])
    return document.storage_key
