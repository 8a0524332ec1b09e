"""Evidence documents of a record: checked name, size and type (by content, not by the declared type).

A file name is only a label: the object key is ``deployments/<record>/<document id>``, so a name cannot
reach outside the store. Names carrying paths, parent references, control characters or hidden-file dots
are still refused, so that a download never offers a name that tricks the downloader either.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from sqlalchemy.orm import Session

from services.deployments import repository
from services.deployments.changes import begin_change, finish_change
from services.deployments.models import DeploymentRecord, Document
from services.kit.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed, field_error
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
