"""Who may see and do what with a deployment record.

- The *parties* are the SME (``sme_company_id``) and the suppliers; the record's owner is one of them.
- An *agency* reviewer (role ``agency``) reviews the records of the 시·도 of its ``regions`` claim.
- Only published records are public. Drafts and records under review are seen by the parties, the agency
  of their region and admins; to anyone else they do not exist (404).
- Private fields (support amounts, contract, address, documents) are seen by the parties, the agency of the
  region and admins; others see them only while the SME's ``deployments`` consent to their organisation is
  active (asked of the identity service per request, see ``endpoints``).
"""

from __future__ import annotations

from services.deployments.models import DeploymentRecord
from services.kit.errors import Forbidden, NotFound
from services.kit.messages import Msg
from services.kit.principal import Principal, Role


def side_of(principal: Principal, record: DeploymentRecord) -> str | None:
    """ "sme" or "vendor" when the caller acts for that party of the record (admins: None)."""
    if principal.is_admin or principal.org_id is None:
        return None
    if Role.SME in principal.roles and principal.org_id == record.sme_company_id:
        return "sme"
    if Role.VENDOR in principal.roles and principal.org_id in {s.company_id for s in record.suppliers}:
        return "vendor"
    return None


def is_party(principal: Principal | None, record: DeploymentRecord) -> bool:
    return principal is not None and (principal.is_admin or side_of(principal, record) is not None)


def reviews(principal: Principal | None, record: DeploymentRecord) -> bool:
    """An agency reviewer of the record's region (or an admin)."""
    if principal is None:
        return False
    return principal.is_admin or (
        Role.AGENCY in principal.roles and principal.covers_region(record.region_code)
    )


def sees_private(principal: Principal | None, record: DeploymentRecord) -> bool:
    return is_party(principal, record) or reviews(principal, record)


def may_read(principal: Principal | None, record: DeploymentRecord) -> bool:
    return record.status == "published" or sees_private(principal, record)


def require_readable(principal: Principal | None, record: DeploymentRecord) -> None:
    if not may_read(principal, record):
        raise NotFound(Msg("deployment record '{record_id}' does not exist", record_id=record.id))


def require_party(principal: Principal, record: DeploymentRecord) -> None:
    require_readable(principal, record)
    if not is_party(principal, record):
        raise Forbidden(Msg("only the SME, the suppliers of the record or an admin may do this"))


def private_refusal() -> Forbidden:
    return Forbidden(
        Msg("private details of this record: the parties, the region's agency, admins, or the SME's consent")
    )
