"""Who may share AI use cases: the SMEs and vendors whose projects they come from (admins always); and
the ``If-Match`` a change of a case names."""

from typing import Annotated

from fastapi import Header

from services.kit.etags import ETAG_PATTERN
from services.kit.principal import Principal, Role, require_roles

Author = Annotated[Principal, require_roles(Role.SME, Role.VENDOR)]

CaseIfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        pattern=ETAG_PATTERN,
        description='the ETag of the use case as last read (its "version"); a stale one is refused with 412',
    ),
]
