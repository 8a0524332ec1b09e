"""Integrity of a record's parties, asked of the companies service with the caller's token.

The SME and the suppliers must be registered companies of the right kind; the factory must be one of the
SME's. A factory is the SME's tenant data (the companies service hides it from others), so it is checked
whenever the caller acts for the SME (the SME itself, an admin); a record a vendor drafted has it checked when
the SME confirms it, and a vendor that cannot see the SME's factories leaves it out: the SME names it then
(``registered_site``). The lead supplier's designation on the contract date decides the process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from services.deployments.schemas import DeploymentIn, FactorySite
from services.kit.clients import ServiceClient, bearer_token, service_client
from services.kit.errors import FieldError, NotFound, Problems, ValidationFailed, field_error
from services.kit.messages import Msg
from services.kit.principal import Principal


@dataclass(frozen=True)
class Facts:
    designated: bool  # the lead supplier was a designated specialist company on the contract date
    factory_checked: bool  # the factory was found among the SME's and matches region and industry
    # The SME's and suppliers' registered names (Korean and English): the record is found by them.
    party_names: tuple[str, ...] = ()


def refused(errors: list[FieldError]) -> ValidationFailed:
    return ValidationFailed(
        Msg(
            "a company or factory is not registered, or a company is of the wrong kind: {problems}",
            problems=Problems(errors),
        ),
        fields=errors,
    )


def raise_if(errors: list[FieldError]) -> None:
    if errors:
        raise refused(errors)


async def _company(client: ServiceClient, company_id: str) -> dict[str, Any] | None:
    try:
        company: dict[str, Any] = await client.get_json("companies", f"/{company_id}")
    except NotFound:
        return None
    return company


async def _registered(request: Request, sme_company_id: str, factory_id: str) -> dict[str, Any] | None:
    """The SME's registered factory as the caller's token sees it (None: not one the caller may see)."""
    try:
        factory: dict[str, Any] = await service_client(request).get_json(
            "companies", f"/{sme_company_id}/factories/{factory_id}", token=bearer_token(request)
        )
    except NotFound:
        return None
    return factory


def _not_the_smes(loc: str, sme_company_id: str, factory_id: str) -> FieldError:
    return field_error(
        loc,
        Msg(
            "no factory '{factory_id}' of '{sme_company_id}'",
            factory_id=factory_id,
            sme_company_id=sme_company_id,
        ),
    )


async def factory_errors(
    request: Request, sme_company_id: str, site: FactorySite, prefix: str = "body"
) -> list[FieldError]:
    """Why the named factory is not the SME's registered one (empty: it is); needs a token that sees it.
    The SME names one whenever it acts: only a supplier leaves the factory to the SME."""
    loc = f"{prefix}.factory"
    if site.factory_id is None:
        return [field_error(f"{loc}.factory_id", Msg("name one of the SME's registered factories"))]
    factory = await _registered(request, sme_company_id, site.factory_id)
    if factory is None:
        return [_not_the_smes(f"{loc}.factory_id", sme_company_id, site.factory_id)]
    errors = []
    for key in ("region_code", "industry_code"):
        if factory.get(key) != getattr(site, key):
            errors.append(
                field_error(
                    f"{loc}.{key}",
                    Msg("the registered factory has {registered}", registered=factory.get(key)),
                )
            )
    return errors


async def registered_site(request: Request, sme_company_id: str, factory_id: str, loc: str) -> FactorySite:
    """The SME's registered factory as a record's site, or a refusal naming ``loc`` (another company's
    factory, or none, is not the SME's)."""
    factory = await _registered(request, sme_company_id, factory_id)
    if factory is None:
        raise refused([_not_the_smes(loc, sme_company_id, factory_id)])
    kept = {k: factory.get(k) for k in ("name", "region_code", "address", "industry_code")}
    return FactorySite.model_validate({"factory_id": factory["id"], **kept})


async def check_parties(request: Request, principal: Principal, data: DeploymentIn) -> Facts:
    client = service_client(request)
    errors = []
    sme = await _company(client, data.sme_company_id)
    if sme is None:
        errors.append(
            field_error(
                "body.sme_company_id",
                Msg("no registered company '{sme_company_id}'", sme_company_id=data.sme_company_id),
            )
        )
    elif sme.get("kind") != "sme":
        errors.append(
            field_error(
                "body.sme_company_id",
                Msg("'{sme_company_id}' is not an SME", sme_company_id=data.sme_company_id),
            )
        )
    suppliers = []
    for i, supplier_id in enumerate(data.supplier_company_ids):
        supplier = await _company(client, supplier_id)
        suppliers.append(supplier)
        loc = f"body.supplier_company_ids[{i}]"
        if supplier is None:
            errors.append(
                field_error(loc, Msg("no registered company '{supplier_id}'", supplier_id=supplier_id))
            )
        elif supplier.get("kind") != "vendor":
            errors.append(
                field_error(loc, Msg("'{supplier_id}' is not a vendor (supplier)", supplier_id=supplier_id))
            )
    factory_checked = False
    if sme is not None and principal.acts_for(data.sme_company_id):
        problems = await factory_errors(request, data.sme_company_id, data.factory)
        errors += problems
        factory_checked = not problems
    raise_if(errors)
    status = await client.get_json(
        "companies",
        f"/{data.supplier_company_ids[0]}/designation-status",
        params={"on": data.contract.signed_on.isoformat()},
    )
    names = tuple(
        text
        for company in (sme, *suppliers)
        if company is not None
        for text in (company.get("name") or {}).values()
        if isinstance(text, str)
    )
    return Facts(
        designated=bool(status.get("designated")), factory_checked=factory_checked, party_names=names
    )
