"""A record as the API shows it: the stored row and its children turned into ``DeploymentOut``, with the
figures derived from them (stage statuses and spans, months against the process's target, go-live and the
end of after-care). The private fields (support amounts, contract, address, documents) are left out unless
the caller may see them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from services.deployments.aftercare.period import after_service_end, go_live
from services.deployments.models import DeploymentRecord, Kpi
from services.deployments.programmes import PROGRAMME_BY_CODE
from services.deployments.schemas import DeploymentOut, DocumentOut, StageIn, TicketCounts
from services.kit import reference as ref
from services.kit.bodies import STORED

DAYS_PER_MONTH = 30.44  # the mean month: durations shown in months (dates add calendar months, never this)
STAGE_NAMES = {
    code: {"ko": ko, "en": en} for stages in ref.PROCESS_STAGES.values() for code, ko, en in stages
}


def described(record: DeploymentRecord, *, address: bool) -> dict[str, Any]:
    """What the record's input and output forms both hold alike (the factory's address is private)."""
    return {
        "owner_org_id": record.owner_org_id,
        "title": record.title,
        "sme_company_id": record.sme_company_id,
        "sme_name": record.sme_name,
        "factory": {
            "factory_id": record.factory_id,
            "name": record.factory_name,
            "region_code": record.region_code,
            "address": record.address if address else None,
            "industry_code": record.industry_code,
        },
        "supplier_company_ids": [s.company_id for s in record.suppliers],
        "solutions": [
            {"subfield_code": s.subfield_code, "name": s.name, "supplier_company_id": s.supplier_company_id}
            for s in record.solutions
        ],
        "level_before": record.level_before,
        "level_after": record.level_after,
    }


def _stage_status(stage: dict[str, Any]) -> str:
    if stage.get("approved_by"):
        return "approved"
    if stage.get("actual_end"):
        return "done"
    return "in_progress" if stage.get("actual_start") else "planned"


def _kpi_out(k: Kpi) -> dict[str, Any]:
    return {
        "kind": k.kind,
        "baseline": k.baseline,
        "after": k.after,
        "unit": k.unit,
        "source": k.source,
        "telemetry_ref": k.telemetry_ref,
        "improvement_pct": k.improvement_pct,
        "evidence": k.evidence or None,
        "verified_by": k.verified_by,
    }


_STAGE_FIELDS = tuple(StageIn.model_fields)


def _span(start: str | None, end: str | None) -> int | None:
    """Days from ``start`` to ``end`` (stored ISO dates), both counted."""
    return (date.fromisoformat(end) - date.fromisoformat(start)).days + 1 if start and end else None


def _stage_out(row: dict[str, Any], document_ids: list[str]) -> dict[str, Any]:
    out = {k: row.get(k) for k in _STAGE_FIELDS}
    out.update(
        name=STAGE_NAMES[row["code"]],
        status=_stage_status(row),
        approved_by=row.get("approved_by"),
        approved_at=row.get("approved_at"),
        planned_days=_span(row["planned_start"], row["planned_end"]),
        actual_days=_span(row.get("actual_start"), row.get("actual_end")),
        document_ids=document_ids,
    )
    return out


def to_out(record: DeploymentRecord, *, private: bool, tickets: TicketCounts | None = None) -> DeploymentOut:
    """The record as the caller may see it: without the private fields unless ``private``.

    Built as plain data and validated once: a list page holds 50 records of up to 12 stages each, and one
    validation of the whole record costs a fraction of building each nested model on its own. The
    documents are read only when shown (public lists do not load them).
    """
    stages = record.stages
    process = ref.ProjectProcess(record.process)
    first, last = stages[0], stages[-1]
    planned_days = _span(first["planned_start"], last["planned_end"]) or 0
    finished = all(s.get("actual_end") for s in stages) and first.get("actual_start") is not None
    actual_days = _span(first["actual_start"], last["actual_end"]) if finished else None
    actual_months = round(actual_days / DAYS_PER_MONTH, 1) if actual_days else None
    target = ref.PROCESS_TARGET_MONTHS[process]
    documents_by_stage: dict[str, list[str]] = {}
    documents = None
    if private:
        documents = [DocumentOut.model_validate(d, from_attributes=True) for d in record.documents]
        for document in documents:
            documents_by_stage.setdefault(document.stage_code or "", []).append(document.id)
    programme = PROGRAMME_BY_CODE.get(record.programme_code or "")
    return DeploymentOut.model_validate(
        {
            "id": record.id,
            **described(record, address=private),
            "status": record.status,
            "revision": record.revision,
            "version": record.version,
            "drafted_by": record.drafted_by,
            "return_comment": record.return_comment,
            "programme": {"code": programme.code, "name": {"ko": programme.ko, "en": programme.en}}
            if programme
            else None,
            "process": process,
            "supplier_designated": record.supplier_designated,
            "stages": [_stage_out(row, documents_by_stage.get(row["code"], [])) for row in stages],
            "planned_months": round(planned_days / DAYS_PER_MONTH, 1),
            "actual_months": actual_months,
            "target_months": target,
            "meets_target": None if actual_months is None else actual_months <= target,
            "go_live": go_live(record),
            "after_service_months": record.after_service_months,
            "after_service_end": after_service_end(record),
            "aftercare": tickets or TicketCounts(open=0, late=0, resolved=0),
            "private_visible": private,
            "support_amount_krw": record.support_amount_krw if private else None,
            "company_share_krw": record.company_share_krw if private else None,
            "contract": record.contract if private and record.contract else None,
            "documents": documents,
            "year": record.year,
            "kpis": [_kpi_out(k) for k in sorted(record.kpis, key=lambda k: k.kind)],
            "created_at": record.created_at,
            "updated_at": record.updated_at,
            "published_at": record.published_at,
        },
        context=STORED,
    )
