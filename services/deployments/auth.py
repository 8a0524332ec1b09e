"""Authorization dependencies of the deployments service (the record-level rules are in ``access``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from services.kit.etags import ETAG_PATTERN, etag, named_version
from services.kit.messages import Msg
from services.kit.principal import Principal, Role, require_roles

# A party's move (submit, confirm, return) or an agency reviewer's (return, approve a stage).
PartyOrAgency = Annotated[Principal, require_roles(Role.SME, Role.VENDOR, Role.AGENCY)]

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
    return named_version(
        if_match, Msg("If-Match {if_match!r} names no version of this record", if_match=if_match)
    )


__all__ = ["IfMatch", "PartyOrAgency", "etag", "expected_version"]
