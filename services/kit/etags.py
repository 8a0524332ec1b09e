"""Entity tags of versioned records: the ``ETag`` a read answers with, the ``If-Match`` a write names.

A tag is a version number written as RFC 9110 spells an entity tag (``"3"``); a client sends it back in
``If-Match`` and a write finding another current version is refused with 412 (``PreconditionFailed``).
What the number is belongs to each service (a deployment record's counter, a use case's change stamp);
reading the header and refusing a tag that names no version is this module's, once.
"""

from __future__ import annotations

from services.kit.errors import PreconditionFailed
from services.kit.messages import Msg

# An entity tag (``"3"``, ``W/"3"``) or ``*``: a header's schema says so, and a value of another shape is
# refused by validation (422 naming the header) before any version is compared.
ETAG_PATTERN = r'^(\*|(W/)?"[!#-~]*")$'


def etag(version: int) -> str:
    return f'"{version}"'


def named_version(if_match: str | None, unknown: Msg) -> int | None:
    """The version an ``If-Match`` header names; None when absent or ``*``; 412 with ``unknown`` when the
    tag is not a version number (no version of the record ever had it)."""
    if if_match is None or if_match.strip() == "*":
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise PreconditionFailed(unknown)
    return int(tag)
