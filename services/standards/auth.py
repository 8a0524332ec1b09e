"""Who may curate data standards: vendors draft them, operators (admins) publish them."""

from typing import Annotated

from services.kit.principal import Principal, Role, require_roles

Curator = Annotated[Principal, require_roles(Role.VENDOR)]
