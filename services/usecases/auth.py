"""Who may share AI use cases: the SMEs and vendors whose projects they come from (admins always)."""

from typing import Annotated

from services.kit.principal import Principal, Role, require_roles

Author = Annotated[Principal, require_roles(Role.SME, Role.VENDOR)]
