"""Authorization dependencies of the deployments service (the record-level rules are in ``access``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from services.kit.errors import PreconditionFailed
from services.kit.messages import Msg
from services.kit.principal import Principal, Role, require_roles

# A party's move (submit, confirm, return) or an agency reviewer's (return, approve a stage).
PartyOrAgency = Annotated[Principal, require_roles(Role.SME, Role.VENDOR, Role.AGENCY)]

# An entity tag as RFC 9110 spells it (``"3"``, ``W/"3"``) or ``*``: the schema says so, and a value of
# another shape is refused by validation (422 naming the header) before any version is compared.
ETAG_PATTERN = r'^(\*|(W/)?"[!#-~]*")$'

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        pattern=ETAG_PATTERN,
        description='the ETag of the record as last read (e.g. "3"); a stale one is refused with 412',
    ),
]


def expected_version(if_match: str | None) -> int | None:
    """The record version an ``If-Match`` header names; None when absent or ``*``."""
    if if_match is None or if_match.strip() == "*":
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise PreconditionFailed(
            Msg("If-Match {if_match!r} names no version of this record", if_match=if_match)
        )
    return int(tag)


def etag(version: int) -> str:
    return f'"{version}"'
