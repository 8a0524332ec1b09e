"""Every write of the route table moves the version of the record it changed (``services.kit.versioning``).

Rendered JSON, memos and ETags are keyed on an aggregate root's ``updated_at`` (a deployment record's also on
its ``version``, the ETag): a write that changed a record without moving them would serve stale output. The
walk sends every POST/PUT/PATCH/DELETE operation of the app's route table once or more, validly and in an
order its workflows allow, to the records of the security world (``tests/security/world.py``), and reads the
root's stamp from the database before and after. An operation that creates or removes a root, or changes no
versioned record, is listed in ``NOT_WALKED`` with the reason; one in neither list fails the test, so a new
route is classified when it is added. The declarations the rule reads are checked against the foreign keys.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import DeclarativeBase

from catalog.lake import Lake, LakeConfig
from services.companies.models import Base as CompaniesBase
from services.companies.models import Company
from services.deployments.models import Base as DeploymentsBase
from services.deployments.models import DeploymentRecord
from services.identity.models import Base as IdentityBase
from services.kit.app_state import state_of
from services.kit.contract import operations
from services.kit.db import DATABASE
from services.kit.settings import PlatformSettings
from services.kit.versioning import Part, Versioned
from services.standards.models import Base as StandardsBase
from services.standards.models import EquipmentModel
from services.usecases.models import Base as UseCasesBase
from services.usecases.models import UseCase
from tests.catalog.test_kpis import MODELS, hand_set
from tests.onnx_models import window_mean
from tests.security.conftest import RealmKey, Tokens
from tests.security.world import Tenant

ROOT_CREATED = "creates a new root: nothing stored before it to move"
ROOT_REMOVED = "removes the root (and its parts): no version is left to move"
NOT_VERSIONED = "writes a table of no aggregate: nothing renders it by a version"
FORM = "the portal's form for "
NOT_WALKED = {
    "POST /logout": "ends a portal session: no record",
    "POST /me/vendor/records/new": FORM + "POST /api/v1/deployments: " + ROOT_CREATED,
    "POST /me/vendor/records/{record_id}/edit": FORM + "PATCH /api/v1/deployments/{record_id} (walked)",
    "POST /me/vendor/records/{record_id}/submit": FORM + "the record's submit (walked)",
    "POST /me/vendor/records/{record_id}/documents": FORM + "the record's document upload (walked)",
    "POST /me/vendor/records/{record_id}/documents/{document_id}/delete": FORM
    + "the record's document removal (walked)",
    "POST /me/vendor/records/{record_id}/stages": FORM + "PATCH /api/v1/deployments/{record_id} (walked)",
    "POST /me/vendor/records/{record_id}/answer": FORM + "the record's confirm or dispute (both walked)",
    "POST /me/vendor/cases/new": FORM + "POST /api/v1/usecases: " + ROOT_CREATED,
    "POST /me/vendor/cases/{case_id}/edit": FORM + "PATCH /api/v1/usecases/{case_id} (walked)",
    "POST /me/vendor/cases/{case_id}/publish": FORM + "POST /api/v1/usecases/{case_id}/publish (walked)",
    "POST /me/vendor/cases/{case_id}/unpublish": FORM + "POST /api/v1/usecases/{case_id}/unpublish (walked)",
    "POST /me/vendor/cases/{case_id}/delete": FORM + "DELETE /api/v1/usecases/{case_id}: " + ROOT_REMOVED,
    "POST /me/vendor/standards/import": FORM + "POST /api/v1/standards/imports/{source}: " + ROOT_CREATED,
    "POST /me/vendor/standards/{model_id}/{version}/propose": FORM + "the versions' propose (walked)",
    "POST /me/vendor/designation": FORM + "POST /api/v1/companies/{company_id}/designations (walked)",
    "POST /me/vendor/designation/{application_id}/resubmit": FORM
    + "POST /api/v1/companies/{company_id}/designations/{application_id}/resubmit (walked)",
    "POST /api/v1/deployments": ROOT_CREATED,
    "DELETE /api/v1/deployments/{record_id}": ROOT_REMOVED,
    "POST /api/v1/deployments/{record_id}/kpis/{kind}/rerun": "re-runs a stored measurement and compares it: "
    "writes nothing",
    "POST /api/v1/standards": ROOT_CREATED,
    "POST /api/v1/standards/imports/{source}": "a draft model from a document: " + ROOT_CREATED,
    "POST /api/v1/standards/{model_id}/versions/{version}/validate": "checks readings against a version: "
    "writes nothing",
    "POST /api/v1/usecases": ROOT_CREATED,
    "DELETE /api/v1/usecases/{case_id}": ROOT_REMOVED,
    "POST /api/v1/companies": ROOT_CREATED,
    "PUT /api/v1/companies/evaluators/me": "an evaluator's registration: " + NOT_VERSIONED,
    "POST /api/v1/companies/evaluators/me/conflicts": "an evaluator's declaration: " + NOT_VERSIONED,
    "POST /api/v1/companies/regional-centres": NOT_VERSIONED,
    "POST /api/v1/companies/support-centres": NOT_VERSIONED,
    "POST /api/v1/companies/support-centres/{centre_id}/programmes": NOT_VERSIONED,
    "POST /api/v1/companies/programmes/{programme_id}/applications": "an application belongs to the "
    "programme, not to the company (whose output does not show it): " + NOT_VERSIONED,
    "POST /api/v1/companies/programme-applications/{application_id}/decision": "decides a programme "
    "application: " + NOT_VERSIONED,
    "PUT /api/v1/companies/dashboard/tech-level-surveys/{year}": "a survey figure: " + NOT_VERSIONED,
    "POST /api/v1/identity/organisations": "identity: " + NOT_VERSIONED,
    "POST /api/v1/identity/organisations/{org_id}/users": "identity: " + NOT_VERSIONED,
    "POST /api/v1/identity/organisations/{org_id}/gateway-clients": "identity: " + NOT_VERSIONED,
    "POST /api/v1/identity/organisations/{org_id}/gateway-clients/{client_id}/rotate-secret": "identity: "
    + NOT_VERSIONED,
    "POST /api/v1/identity/organisations/{org_id}/gateway-clients/{client_id}/disable": "identity: "
    + NOT_VERSIONED,
    "POST /api/v1/identity/consents": "identity: " + NOT_VERSIONED,
    "DELETE /api/v1/identity/consents/{consent_id}": "identity: " + NOT_VERSIONED,
    "POST /api/v1/ingest/batches": "telemetry goes to the lake, not to a record",
    "POST /api/v1/analytics/kpis/measure": "answers a measurement without storing it (the deployments' "
    ".../measure, walked, stores one)",
    "POST /api/v1/analytics/ai-runs": "predictions and the run log go to the lake, not to a record",
    "POST /api/v1/datasets": "datasets (catalog): " + ROOT_CREATED,
    "POST /api/v1/datasets/{dataset_id}/versions": "an immutable new version of a dataset: " + ROOT_CREATED,
    "POST /api/v1/datasets/{dataset_id}/licence-acceptance": "a user's acceptance: " + NOT_VERSIONED,
    "POST /api/v1/datasets/{dataset_id}/versions/{version}/claims": "a claim's measurement, read from the "
    "datasets API (the case's own output does not carry it): " + NOT_VERSIONED,
    "POST /cases/{case_id}/apply": FORM + "POST /api/v1/analytics/ai-runs",
    "POST /datasets/{dataset_id}/accept": FORM + ".../licence-acceptance",
    "POST /me/agency/records/{record_id}": FORM + "the records' verify/publish/return (walked)",
    "POST /me/sme/records/{record_id}": FORM + "the records' confirm/dispute (walked)",
    "POST /me/sme/records/{record_id}/tickets": FORM + "the after-care tickets (walked)",
    "POST /me/sme/consents": FORM + "POST /api/v1/identity/consents",
    "POST /me/sme/consents/{consent_id}/revoke": FORM + "DELETE /api/v1/identity/consents/...",
    "POST /me/evaluator/{company_id}/{application_id}": FORM + "the evaluators' scores (walked)",
    "POST /me/evaluator/{company_id}/{application_id}/conflict": FORM + ".../evaluators/me/conflicts",
    "POST /me/operator/standards/{model_id}/{version}": FORM + "the standards' review (walked)",
    "POST /me/operator/designations/{company_id}/{application_id}": FORM + "the committee's "
    "decision (walked)",
    "POST /me/operator/organisations": FORM + "POST /api/v1/identity/organisations",
    "POST /me/operator/organisations/{org_id}/users": FORM + ".../organisations/{org_id}/users",
    "POST /me/operator/organisations/{org_id}/gateways": FORM + ".../gateway-clients",
    "POST /me/operator/organisations/{org_id}/gateways/{client_id}/rotate": FORM + ".../rotate-secret",
    "POST /me/operator/organisations/{org_id}/gateways/{client_id}/disable": FORM + ".../disable",
}
# Mounted only with the embedded issuer, which the walk's app (tokens from Keycloak) has not.
EMBEDDED_ONLY = {
    "POST /dev-oidc/authorize": "the embedded issuer's sign-in: no record",
    "POST /dev-oidc/token": "the embedded issuer's token endpoint: no record",
}
# Tables with a foreign key to an aggregate that are deliberately not its parts: logs written by the change
# itself, and indexes derived from the owner's own columns (rewritten by bulk statements).
NOT_PARTS = {
    "dep_history": "the history of the record's changes: written by each change, it is no change",
    "std_model_terms": "search terms derived from the model and its versions",
    "uc_search_terms": "search terms derived from the case",
    "co_factory_equipment": "rows derived from the factory's equipment list",
    "co_programme_applications": "an application to a programme (see NOT_WALKED)",
    "dep_facet_tallied": "what a published record was counted as in the facet tallies (derived)",
}
BASES: list[type[DeclarativeBase]] = [
    CompaniesBase,
    DeploymentsBase,
    IdentityBase,
    StandardsBase,
    UseCasesBase,
]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JUDGEMENTS = {
    "judgements": {
        code: {"score": 90, "reason": f"{code}: 검토 결과 90점"}
        for code in ("technology_judgement", "organisation_judgement", "finance_judgement")
    }
}
Root = tuple[type[Versioned], str]


@dataclass
class Walk:
    """Sends writes and notes, per operation, each time the root's stamp did not move."""

    client: TestClient
    walked: set[str] = field(default_factory=set)
    unmoved: list[str] = field(default_factory=list)

    def stamp(self, root: Root) -> tuple[Any, Any]:
        cls, key = root
        with state_of(self.client.app).get(DATABASE).session() as session:
            row = session.get_one(cls, key)
            return row.updated_at, getattr(row, "version", None)

    def write(
        self, operation: str, root: Root, headers: dict[str, str], path: dict[str, str], **request: Any
    ) -> dict[str, Any]:
        method, template = operation.split(" ", 1)
        url = template.format(**path)
        before = self.stamp(root)
        answer = self.client.request(method, url, headers=headers, **request)
        assert answer.is_success, f"{method} {url}: {answer.status_code} {answer.text}"
        after = self.stamp(root)
        self.walked.add(operation)
        moved = after[0] > before[0] and (before[1] is None or after[1] > before[1])
        if not moved:
            self.unmoved.append(f"{method} {url}: {before} -> {after}")
        return dict(answer.json()) if answer.content else {}


@pytest.fixture
def walk(kc_client: TestClient) -> Walk:
    return Walk(kc_client)


def test_the_declarations_cover_every_foreign_key_to_an_aggregate() -> None:
    """A table referencing a root or a part is a part, or is named in NOT_PARTS with the reason."""
    classes = {m.local_table: m.class_ for base in BASES for m in base.registry.mappers}
    tables = [table for base in BASES for table in base.metadata.sorted_tables]
    in_aggregates = {t for t in tables if issubclass(classes.get(t, object), Versioned | Part)}
    unclassified = [
        t.name
        for t in tables
        if not issubclass(classes.get(t, object), Part)
        and t.name not in NOT_PARTS
        and any(fk.column.table in in_aggregates for fk in t.foreign_keys)
    ]
    assert unclassified == []
    assert sorted(set(NOT_PARTS) - {t.name for t in tables}) == []


def test_every_write_moves_the_version_of_what_it_changed(
    walk: Walk,
    tenants: list[Tenant],
    tokens: Tokens,
    realm_key: RealmKey,
    keycloak_settings: PlatformSettings,
) -> None:
    sme, vendor = tenants
    admin = tokens.headers("admin1")
    # deployments first: designating vendor1 (companies) would change the record's process
    _walk_deployments(walk, sme, vendor, admin, keycloak_settings)
    _walk_companies(walk, sme, vendor, admin, realm_key)
    _walk_standards(walk, vendor, admin)
    _walk_usecases(walk, sme)

    writes = {
        f"{o.method} {o.path}"
        for o in operations(walk.client.app)  # type: ignore[arg-type]
        if o.method in ("POST", "PUT", "PATCH", "DELETE")
    }
    assert sorted(walk.walked & set(NOT_WALKED)) == []
    assert sorted(writes - walk.walked - set(NOT_WALKED) - set(EMBEDDED_ONLY)) == []
    assert sorted(set(NOT_WALKED) - writes) == []  # no reason kept for a route that is gone
    assert walk.unmoved == []


def _walk_companies(
    walk: Walk, sme: Tenant, vendor: Tenant, admin: dict[str, str], realm_key: RealmKey
) -> None:
    company = "/api/v1/companies/{company_id}"
    sme_root: Root = (Company, sme.org_id)
    root: Root = (Company, vendor.org_id)
    at_sme, at_vendor = {"company_id": sme.org_id}, {"company_id": vendor.org_id}
    walk.write(f"PATCH {company}", root, vendor.owner, at_vendor, json={"employees": 92})
    factory = {"id": "factory-sme-1-b", "name": "제2공장", "region_code": "48", "industry_code": "C29"}
    walk.write(f"POST {company}/factories", sme_root, sme.owner, at_sme, json=factory)
    at_factory = at_sme | {"factory_id": "factory-sme-1-b"}
    one = f"{company}/factories/{{factory_id}}"
    walk.write(f"PATCH {one}", sme_root, sme.owner, at_factory, json={"name": "창원 제2공장"})
    walk.write(f"DELETE {one}", sme_root, sme.owner, at_factory)
    overseas = {"contract_krw": 850000000, "country": "VN", "partner": "TCT", "signed_on": "2026-05-14"}

    walk.write(f"POST {company}/overseas", root, vendor.owner, at_vendor, json=overseas)

    # The application of the world: returned, resubmitted, reviewed by two evaluators, designated, suspended,
    # reinstated, revoked and appealed.
    app = f"{company}/designations/{{application_id}}"
    at_app = at_vendor | {"application_id": vendor.values["application_id"]}
    note = {"complete": False, "note": "재무제표 누락"}
    walk.write(f"POST {app}/completeness", root, admin, at_app, json=note)
    application = {
        "fields": ["INFO-MES"],
        "declared": {"patents": 2, "revenue": 3e9},
        "evidence": [
            {"indicator": "patents", "title": "특허 등록원부"},
            {"indicator": "revenue", "title": "2025년 재무제표"},
        ],
    }
    walk.write(f"POST {app}/resubmit", root, vendor.owner, at_app, json=application)
    walk.write(f"POST {app}/completeness", root, admin, at_app, json={"complete": True})
    evaluators = [realm_key.identity(f"eval-{n}", ["evaluator"], "org-eval-1") for n in (1, 2)]
    for n, headers in enumerate(evaluators, start=1):
        registered = walk.client.put(
            "/api/v1/companies/evaluators/me", json={"name": f"평가위원 {n}"}, headers=headers
        )
        assert registered.status_code == 200, registered.text
        assigned = {"evaluator_id": f"forged-eval-{n}"}
        walk.write(f"POST {app}/assignments", root, admin, at_app, json=assigned)
    for headers in evaluators:
        walk.write(f"PUT {app}/evaluation", root, headers, at_app, json=JUDGEMENTS)
    decision = {"decision": "designated", "reason": "위원회 의결", "override_reason": "시범 지정"}
    walk.write(f"POST {app}/decision", root, admin, at_app, json=decision)
    for action in ("suspend", "reinstate", "revoke"):
        walk.write(f"POST {app}/{action}", root, admin, at_app, json={"reason": "사후관리 지연"})
    walk.write(f"POST {app}/appeal", root, vendor.owner, at_app, json={"note": "일정 변경은 고객사 사정"})
    historical = {
        "fields": ["INFO-MES"],
        "decided_on": "2023-06-30",
        "total_score": 82.5,
        "reason": "2023년 제2차 지정위원회",
        "document_ref": "공고 제2023-412호",
    }
    walk.write(f"POST {company}/designations/historical", root, admin, at_vendor, json=historical)
    # A new application is a new part of the company (the revoked one is closed).
    walk.write(f"POST {company}/designations", root, vendor.owner, at_vendor, json=application)


def _walk_standards(walk: Walk, vendor: Tenant, admin: dict[str, str]) -> None:
    model = "/api/v1/standards/{model_id}"
    version = f"{model}/versions/{{version}}"
    model_id = vendor.values["model_id"]
    root: Root = (EquipmentModel, model_id)
    at_model = {"model_id": model_id}
    at_first, at_second = at_model | {"version": "1.0.0"}, at_model | {"version": "1.1.0"}
    walk.write(f"PATCH {model}", root, vendor.owner, at_model, json={"description": {"ko": "범용 선반"}})
    walk.write(f"PATCH {version}", root, vendor.owner, at_first, json={"changelog": "범위 수정"})
    walk.write(f"POST {version}/propose", root, vendor.owner, at_first, json={"comment": "검토 부탁드립니다"})
    changes = {"decision": "request_changes", "comment": "단위 확인"}
    walk.write(f"POST {version}/reviews", root, admin, at_first, json=changes)
    walk.write(f"POST {version}/propose", root, vendor.owner, at_first, json={"comment": "수정했습니다"})
    walk.write(f"POST {version}/publish", root, admin, at_first)
    successor = {"version": "1.1.0", "base_version": "1.0.0", "changelog": "항목 추가"}
    walk.write(f"POST {model}/versions", root, vendor.owner, at_model, json=successor)
    walk.write(f"POST {version}/publish", root, admin, at_second)
    walk.write(f"POST {version}/deprecate", root, admin, at_first)


def _walk_usecases(walk: Walk, sme: Tenant) -> None:
    case = "/api/v1/usecases/{case_id}"
    at_case = {"case_id": sme.values["case_id"]}
    root: Root = (UseCase, sme.values["case_id"])
    walk.write(f"PATCH {case}", root, sme.owner, at_case, json={"data_used": ["용접 전류"]})
    walk.write(f"POST {case}/publish", root, sme.owner, at_case)
    walk.write(f"POST {case}/unpublish", root, sme.owner, at_case)
    # A runnable model on the lathe's energy (published by the deployments' walk), as its page shows it.
    signature = {
        "model_id": "kpi-lathe",
        "model_version": "1.0.0",
        "items": ["energy"],
        "window_length": 4,
        "interval_seconds": 600,
        "outputs": [{"name": "score", "kind": "score"}],
    }
    model = {"file": ("model.onnx", window_mean(4), "application/octet-stream")}
    walk.write(
        f"PUT {case}/model", root, sme.owner, at_case, files=model, data={"signature": json.dumps(signature)}
    )


def _walk_deployments(
    walk: Walk, sme: Tenant, vendor: Tenant, admin: dict[str, str], settings: PlatformSettings
) -> None:
    record = "/api/v1/deployments/{record_id}"
    record_id = sme.values["record_id"]
    root: Root = (DeploymentRecord, record_id)
    at_record = {"record_id": record_id}
    kpi = f"{record}/kpis/{{kind}}"
    at_kpi = at_record | {"kind": "defect_rate"}
    walk.write(f"PATCH {record}", root, sme.owner, at_record, json={"support_amount_krw": 90000000})
    walk.write(f"PUT {kpi}", root, sme.owner, at_kpi, json={"baseline": 4.2, "after": 1.7, "unit": "%"})

    # Telemetry of the record's factory for the measurement: the analytics tests' hand-computed day.
    for body in MODELS:
        assert walk.client.post("/api/v1/standards", json=body, headers=admin).status_code == 201
        published = walk.client.post(f"/api/v1/standards/{body['id']}/versions/1.0.0/publish", headers=admin)
        assert published.status_code == 200, published.text
    readings = hand_set()
    for column, value in (("factory_id", sme.values["factory_id"]), ("org_id", sme.org_id)):
        i = readings.schema.get_field_index(column)
        readings = readings.set_column(i, readings.schema.field(i), pa.array([value] * readings.num_rows))
    Lake(LakeConfig.from_settings(settings)).readings().append(readings)
    periods = {
        "baseline": {"start": "2025-11-10T08:00:00Z", "end": "2025-11-10T10:30:00Z"},
        "after": {"start": "2025-11-10T10:30:00Z", "end": "2025-11-10T12:00:00Z"},
    }
    walk.write(f"POST {kpi}/measure", root, sme.owner, at_kpi, json=periods)
    walk.write(f"POST {kpi}/verify", root, admin, at_kpi)

    # Every stage done (the completion inspection a week ago, as the world has it), each with its document.
    current = walk.client.get(record.format(**at_record), headers=sme.owner).json()
    inspected = str(date.today() - timedelta(days=7))
    stages = [
        {k: s[k] for k in ("code", "planned_start", "planned_end")}
        | (
            {"actual_start": inspected, "actual_end": inspected}
            if s["code"] == "INSPECT"
            else {"actual_start": s["planned_start"], "actual_end": s["planned_end"]}
        )
        for s in current["stages"]
    ]
    walk.write(f"PATCH {record}", root, sme.owner, at_record, json={"stages": stages})
    for stage in stages:
        upload = {"file": (f"{stage['code'].lower()}.pdf", PDF, "application/pdf")}
        stage_code = {"stage_code": stage["code"]}
        walk.write(f"POST {record}/documents", root, sme.owner, at_record, files=upload, data=stage_code)
    extra = {"file": ("초안.pdf", PDF, "application/pdf")}
    added = walk.write(f"POST {record}/documents", root, sme.owner, at_record, files=extra)
    draft_document = next(d["id"] for d in added["documents"] if d["filename"] == "초안.pdf")
    at_document = at_record | {"document_id": draft_document}
    walk.write(f"DELETE {record}/documents/{{document_id}}", root, sme.owner, at_document)
    walk.write(f"POST {record}/stages/{{code}}/approve", root, sme.owner, at_record | {"code": "INSPECT"})

    ticket = {"title": "설비 정지", "description": "MES 응답 없음", "severity": "major"}
    opened = walk.write(f"POST {record}/tickets", root, sme.owner, at_record, json=ticket)
    at_ticket = at_record | {"ticket_id": opened["id"]}
    answer = {"answer": "서버 재기동 후 정상화"}
    walk.write(f"POST {record}/tickets/{{ticket_id}}/answer", root, vendor.owner, at_ticket, json=answer)
    walk.write(f"POST {record}/tickets/{{ticket_id}}/resolve", root, sme.owner, at_ticket)

    walk.write(f"POST {record}/submit", root, sme.owner, at_record)
    walk.write(f"POST {record}/return", root, vendor.owner, at_record, json={"comment": "설비 대수 확인"})
    reviews = (("submit", sme.owner), ("confirm", vendor.owner), ("verify", admin), ("publish", admin))
    for action, who in reviews:
        walk.write(f"POST {record}/{action}", root, who, at_record)
