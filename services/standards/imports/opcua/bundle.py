"""An upload of several NodeSets: a zip archive, or a multipart/form-data body with one file per part.

A NodeSet rarely stands alone (MachineTool needs Machinery, IA and DI), so the documents it requires may
come in the same request. Archives are read within limits (count of files, bytes once inflated), checked
on what is actually read, never on what the archive's directory claims.
"""

from __future__ import annotations

import io
import zipfile

from services.kit.errors import BadRequest, ValidationFailed, field_error
from services.kit.messages import Msg

MAX_DOCUMENTS = 32
MAX_INFLATED = 16 * 1024 * 1024  # all of MachineTool with what it requires: under 1 MiB


def documents(data: bytes) -> list[bytes]:
    """The NodeSet documents of an upload: a zip's ``.xml`` files, a multipart body's parts, or the body."""
    if data[:4] == b"PK\x03\x04":
        return _zip(data)
    if data[:2] == b"--":
        return [d for part in _multipart(data) for d in (_zip(part) if part[:4] == b"PK\x03\x04" else [part])]
    return [data]


def _too_many(count: int) -> ValidationFailed:
    return ValidationFailed(
        Msg("the upload holds {count} documents; at most {limit} are read", count=count, limit=MAX_DOCUMENTS),
        fields=[field_error("body", Msg("too many documents"))],
    )


def _zip(data: bytes) -> list[bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = [
            i for i in archive.infolist() if not i.is_dir() and i.filename.lower().endswith(".xml")
            and not i.filename.startswith("__MACOSX/")
        ]  # fmt: skip
        if len(names) > MAX_DOCUMENTS:
            raise _too_many(len(names))
        found, budget = [], MAX_INFLATED
        for info in names:
            with archive.open(info) as member:
                content = member.read(budget + 1)
            budget -= len(content)
            if budget < 0:
                raise BadRequest(
                    Msg("the archive inflates beyond {limit} bytes", limit=MAX_INFLATED),
                    fields=[field_error("body", Msg("archive too large once inflated"))],
                )
            found.append(content)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise BadRequest(
            Msg("not a readable zip archive ({reason})", reason=str(exc)[:200]),
            fields=[field_error("body", Msg("unreadable zip archive"))],
        ) from exc
    if not found:
        raise ValidationFailed(
            Msg("the archive holds no .xml file"),
            fields=[field_error("body", Msg("no NodeSet in the archive"))],
        )
    return found


def _multipart(data: bytes) -> list[bytes]:
    """The bodies of a multipart/form-data upload; its first line is the boundary (RFC 7578)."""
    first, _, _ = data.partition(b"\n")
    boundary = first.rstrip(b"\r")
    if len(boundary) < 3:
        raise BadRequest(
            Msg("a multipart body starts with its boundary line"),
            fields=[field_error("body", Msg("no multipart boundary"))],
        )
    parts = []
    for chunk in data.split(boundary)[1:]:
        if chunk.startswith(b"--"):
            break  # the closing boundary
        _, sep, body = chunk.partition(b"\r\n\r\n")  # part headers, then the file
        if not sep:
            _, sep, body = chunk.partition(b"\n\n")
        body = body.removesuffix(b"\n").removesuffix(b"\r")
        if sep and body.strip():
            parts.append(body)
        if len(parts) > MAX_DOCUMENTS:
            raise _too_many(len(parts))
    if not parts:
        raise ValidationFailed(
            Msg("the multipart body holds no file"), fields=[field_error("body", Msg("no file part"))]
        )
    return parts
