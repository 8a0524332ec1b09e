"""Authorization dependencies of the companies service beyond the kit's roles."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.companies import centres
from services.companies.models import RegionalCentre
from services.kit.db import SessionDep
from services.kit.principal import AgencyOnly


def _centre_staff(centre_id: str, principal: AgencyOnly, session: SessionDep) -> RegionalCentre:
    """The regional centre of the path, for admins and agency staff scoped (claim ``regions``) to it."""
    return centres.staffed_centre(session, principal, centre_id)


CentreStaff = Annotated[RegionalCentre, Depends(_centre_staff)]
