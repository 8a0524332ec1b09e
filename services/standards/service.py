"""Rules of equipment models: semantic versions, immutable published versions. Flushes, never commits."""

from __future__ import annotations

from collections import Counter

from pydantic import ValidationError
from sqlalchemy.orm import Session

from services.kit.db import new_id, utcnow
from services.kit.errors import Conflict, NotFound, ValidationFailed, field_error, fields_of
from services.kit.i18n import LocalizedText
from services.kit.messages import Alternatives, Msg
from services.kit.principal import Principal
from services.kit.reference import INDUSTRIES, SUBFIELDS
from services.standards import diff, index, repository
from services.standards.imports import PARSERS, ImportFormat
from services.standards.models import EquipmentModel, ModelTerm, ModelVersion, Review
from services.standards.schemas import (
    EDITABLE_STATUSES,
    KEY_EQUIPMENT_TARGET,
    PUBLIC_STATUSES,
    Attribute,
    DataItem,
    ImportParams,
    ImportReport,
    KeyEquipmentOut,
    ModelCreate,
    ModelOut,
    ModelPatch,
    ProposalCreate,
    ReviewCreate,
    ReviewOut,
    TaxonomyProgress,
    TypeProgress,
    VersionCreate,
    VersionDiff,
    VersionOut,
    VersionPatch,
    VersionSummary,
)


def _semver(version: str) -> tuple[int, int, int]:
    major, minor, patch = (int(p) for p in version.split("."))
    return major, minor, patch


def _reindex(model: EquipmentModel) -> None:
    """Refresh what the model is found by; call after any change of the model or of its versions."""
    newest = model.versions[-1].items if model.versions else []
    model.search_text = index.search_text(
        model.id, model.equipment_type, model.name, model.description, newest
    )
    wanted = index.terms(model.subfields, model.industries, (v.items for v in model.versions))
    model.terms = [t for t in model.terms if (t.kind, t.term) in wanted]
    have = {(t.kind, t.term) for t in model.terms}
    model.terms.extend(ModelTerm(kind=kind, term=term) for kind, term in sorted(wanted - have))


def can_see(principal: Principal | None, model: EquipmentModel, version: ModelVersion | None = None) -> bool:
    if version is not None and version.status in PUBLIC_STATUSES:
        return True
    if version is None and any(v.status in PUBLIC_STATUSES for v in model.versions):
        return True
    return principal is not None and principal.acts_for(model.owner_org_id)


def visible_model(session: Session, principal: Principal | None, model_id: str) -> EquipmentModel:
    model = repository.get_model(session, model_id)
    if not can_see(principal, model):
        # Drafts of others stay invisible: 404, not 403, so their existence does not leak.
        raise NotFound(Msg("equipment model '{model_id}' does not exist", model_id=model_id))
    return model


def visible_version(
    session: Session, principal: Principal | None, model_id: str, version: str
) -> ModelVersion:
    model = repository.get_model(session, model_id)
    row = repository.get_version(session, model_id, version)
    if not can_see(principal, model, row):
        raise NotFound(
            Msg(
                "version {version} of equipment model '{model_id}' does not exist",
                version=version,
                model_id=model_id,
            )
        )
    return row


def _new_version(
    model_id: str,
    version: str,
    items: list[DataItem],
    changelog: str | None,
    ideal_cycle_time_s: float | None,
    attributes: list[Attribute],
) -> ModelVersion:
    major, minor, patch = _semver(version)
    return ModelVersion(
        model_id=model_id,
        version=version,
        major=major,
        minor=minor,
        patch=patch,
        status="draft",
        items=[i.model_dump(mode="json", exclude_none=True) for i in items],
        attributes=[a.model_dump(mode="json") for a in attributes],
        ideal_cycle_time_s=ideal_cycle_time_s,
        changelog=changelog,
    )


def create_model(session: Session, principal: Principal, body: ModelCreate) -> EquipmentModel:
    if session.get(EquipmentModel, body.id) is not None:
        raise Conflict(Msg("equipment model '{id}' already exists", id=body.id))
    model = EquipmentModel(
        id=body.id,
        owner_org_id=principal.owner_for(body.owner_org_id),
        equipment_type=body.equipment_type,
        name=body.name.model_dump(),
        description=body.description.model_dump() if body.description else None,
        subfields=body.subfields,
        industries=body.industries,
    )
    model.versions = [
        _new_version(
            body.id, body.version, body.items, body.changelog, body.ideal_cycle_time_s, body.attributes
        )
    ]
    _reindex(model)
    session.add(model)
    session.flush()
    return model


def update_model(session: Session, principal: Principal, model_id: str, body: ModelPatch) -> EquipmentModel:
    model = repository.get_model(session, model_id)
    principal.require_org(model.owner_org_id)
    changes = body.model_dump(exclude_unset=True, mode="json")
    for key, value in changes.items():
        setattr(model, key, value)
    _reindex(model)
    session.flush()
    return model


def add_version(session: Session, principal: Principal, model_id: str, body: VersionCreate) -> ModelVersion:
    model = repository.get_model(session, model_id)
    principal.require_org(model.owner_org_id)
    newest = max((_semver(v.version) for v in model.versions), default=(0, 0, 0))
    if _semver(body.version) <= newest:
        raise Conflict(
            Msg(
                "version {version} must be greater than {newest}",
                version=body.version,
                newest=".".join(map(str, newest)),
            )
        )
    base = (
        repository.get_version(session, model_id, body.base_version)
        if body.base_version is not None
        else model.versions[-1]
    )
    items = body.items if body.items is not None else [DataItem.model_validate(i) for i in base.items]
    ideal = (
        body.ideal_cycle_time_s if "ideal_cycle_time_s" in body.model_fields_set else base.ideal_cycle_time_s
    )
    attributes = (
        body.attributes
        if body.attributes is not None
        else [Attribute.model_validate(a) for a in base.attributes or ()]
    )
    row = _new_version(model_id, body.version, items, body.changelog, ideal, attributes)
    row.aas_structure = base.aas_structure  # its nodes point at items by id: new or renamed ones go flat
    model.versions.append(row)
    _reindex(model)
    session.flush()
    return row


def _owned_version(
    session: Session, principal: Principal, model_id: str, version: str
) -> tuple[EquipmentModel, ModelVersion]:
    model = repository.get_model(session, model_id)
    principal.require_org(model.owner_org_id)
    return model, repository.get_version(session, model_id, version)


def update_version(
    session: Session, principal: Principal, model_id: str, version: str, body: VersionPatch
) -> ModelVersion:
    model, row = _owned_version(session, principal, model_id, version)
    if row.status not in EDITABLE_STATUSES:
        raise Conflict(
            Msg(
                "version {version} is {status} and cannot change; create a new version",
                version=version,
                status=row.status,
            )
            if row.status in PUBLIC_STATUSES
            else Msg(
                "version {version} is {status} and cannot change; wait for the review",
                version=version,
                status=row.status,
            )
        )
    if body.items is not None:
        row.items = [i.model_dump(mode="json", exclude_none=True) for i in body.items]
        _reindex(model)
    if body.attributes is not None:
        row.attributes = [a.model_dump(mode="json") for a in body.attributes]
    if "changelog" in body.model_fields_set:
        row.changelog = body.changelog
    if "ideal_cycle_time_s" in body.model_fields_set:
        row.ideal_cycle_time_s = body.ideal_cycle_time_s
    session.flush()
    return row


def set_status(
    session: Session, principal: Principal, model_id: str, version: str, target: str
) -> ModelVersion:
    _, row = _owned_version(session, principal, model_id, version)
    allowed_from = {"published": ("draft", "proposed"), "deprecated": ("published",)}[target]
    if row.status not in allowed_from:
        raise Conflict(
            Msg(
                "version {version} is {status}; only a {allowed_from} version can become {target}",
                version=version,
                status=row.status,
                allowed_from=Alternatives(allowed_from),
                target=target,
            )
        )
    row.status = target
    if target == "published":
        row.published_at = utcnow()
    _record(session, principal, row, target, None)
    session.flush()
    return row


def _record(
    session: Session, principal: Principal, row: ModelVersion, action: str, comment: str | None
) -> None:
    session.add(
        Review(
            id=new_id(),
            model_id=row.model_id,
            version=row.version,
            action=action,
            comment=comment,
            author=(principal.username or principal.subject)[:200],
            author_org_id=principal.org_id,
        )
    )


def propose(
    session: Session, principal: Principal, model_id: str, version: str, body: ProposalCreate
) -> ModelVersion:
    """The owner hands a draft (or a version sent back with requested changes) to the operators' review."""
    _, row = _owned_version(session, principal, model_id, version)
    if row.status not in EDITABLE_STATUSES:
        raise Conflict(
            Msg(
                "version {version} is {status}; only a draft or a version with requested changes is proposed",
                version=version,
                status=row.status,
            )
        )
    row.status = "proposed"
    _record(session, principal, row, "proposed", body.comment)
    session.flush()
    return row


def review(
    session: Session, principal: Principal, model_id: str, version: str, body: ReviewCreate
) -> ModelVersion:
    """An operator comments on, sends back or approves (publishes) a proposed version."""
    row = repository.get_version(session, model_id, version)
    if row.status in PUBLIC_STATUSES:
        raise Conflict(
            Msg(
                "version {version} is {status}; reviews end when a version is published",
                version=version,
                status=row.status,
            )
        )
    if body.decision != "comment" and row.status != "proposed":
        raise Conflict(
            Msg(
                "version {version} is {status}; the vendor has not proposed it (yet or again)",
                version=version,
                status=row.status,
            )
        )
    if body.decision == "approve":
        row.status, row.published_at = "published", utcnow()
    elif body.decision == "request_changes":
        row.status = "changes_requested"
    action = {"comment": "comment", "request_changes": "changes_requested", "approve": "approved"}
    _record(session, principal, row, action[body.decision], body.comment)
    session.flush()
    return row


def reviews(session: Session, principal: Principal, model_id: str, version: str) -> list[ReviewOut]:
    _, row = _owned_version(session, principal, model_id, version)
    return [ReviewOut.model_validate(r, from_attributes=True) for r in repository.reviews(session, row)]


def version_diff(
    session: Session, principal: Principal | None, model_id: str, version: str, against: str | None
) -> VersionDiff:
    """The changes from ``against`` (default: the version before, of those the caller sees) to ``version``;
    a first version compares with nothing (every item added)."""
    new = visible_version(session, principal, model_id, version)
    model = repository.get_model(session, model_id)
    old: ModelVersion | None
    if against is None:
        earlier = [
            v
            for v in model.versions
            if _semver(v.version) < _semver(version) and can_see(principal, model, v)
        ]
        old = earlier[-1] if earlier else None
    else:
        old = visible_version(session, principal, model_id, against)
    return diff.diff(
        model_id,
        old.version if old else None,
        [DataItem.model_validate(i) for i in old.items] if old else [],
        new.version,
        [DataItem.model_validate(i) for i in new.items],
    )


def model_out(model: EquipmentModel) -> ModelOut:
    published = [v.version for v in model.versions if v.status == "published"]
    return ModelOut(
        id=model.id,
        owner_org_id=model.owner_org_id,
        equipment_type=model.equipment_type,
        name=model.name,
        description=model.description,
        subfields=model.subfields,
        industries=model.industries,
        versions=[
            VersionSummary(version=v.version, status=v.status, published_at=v.published_at)
            for v in model.versions
        ],
        latest_published_version=published[-1] if published else None,
        created_at=model.created_at,
    )


def version_out(session: Session, row: ModelVersion) -> VersionOut:
    model = repository.get_model(session, row.model_id)
    return VersionOut(
        model_id=row.model_id,
        version=row.version,
        status=row.status,
        equipment_type=model.equipment_type,
        name=model.name,
        items=[DataItem.model_validate(i) for i in row.items],
        attributes=[Attribute.model_validate(a) for a in row.attributes or ()],
        ideal_cycle_time_s=row.ideal_cycle_time_s,
        changelog=row.changelog,
        published_at=row.published_at,
    )


def import_model(
    session: Session,
    principal: Principal,
    source: ImportFormat,
    document: bytes,
    params: ImportParams,
    korean: bool,
) -> tuple[EquipmentModel, ImportReport]:
    """A draft model from a standard's document, with its mapping report in the caller's language; the
    report is stored with the version in English and Korean (:func:`import_report`)."""
    owner = principal.owner_for(params.owner_org_id)  # who may not create for it is refused before parsing
    shelf = repository.StoredNodeSets(session, owner)
    draft = PARSERS[source](document, params, shelf)
    report = draft.report(source, korean=False)
    if not draft.items:
        reasons = "; ".join(f"{d.source}: {d.reason}" for d in report.dropped[:5]) or "no data items found"
        raise ValidationFailed(
            Msg("nothing in the document maps to a data item ({reasons})", reasons=reasons),
            fields=[field_error("body", Msg("no importable data item"))],
        )
    candidate = {
        "id": params.model_id,
        "owner_org_id": params.owner_org_id,
        "equipment_type": params.equipment_type or draft.equipment_type,
        "name": {"ko": params.name_ko or draft.title, "en": params.name_en or draft.title_en},
        "description": {"ko": draft.description} if draft.description else None,
        "version": params.version,
        "items": [i.model_dump(mode="json", exclude_none=True) for i in draft.items],
        "attributes": [a.model_dump(mode="json") for a in draft.attributes[:500]],
        "ideal_cycle_time_s": draft.ideal_cycle_time_s,
        "changelog": f"{source} import: {report.counts.mapped} mapped, {report.counts.dropped} dropped",
    }
    try:
        body = ModelCreate.model_validate(candidate)
    except ValidationError as exc:
        # Only the model-level values can fail here (the items validated one by one): name the query.
        raise ValidationFailed(
            Msg("the document's names or type do not make a valid model; pass them as query parameters"),
            fields=fields_of(exc.errors(), prefix=("query",)),
        ) from exc
    model = create_model(session, principal, body)
    shelf.save()
    korean_report = draft.report(source, korean=True)
    model.versions[-1].import_report = {
        "en": report.model_dump(mode="json"),
        "ko": korean_report.model_dump(mode="json"),
    }
    model.versions[-1].aas_structure = draft.structure
    session.flush()
    return model, korean_report if korean else report


def import_report(
    session: Session, principal: Principal | None, model_id: str, version: str, korean: bool
) -> ImportReport:
    """The mapping report of an imported version the caller may see; 404 for a version not imported."""
    row = visible_version(session, principal, model_id, version)
    if row.import_report is None:
        raise NotFound(
            Msg(
                "version {version} of equipment model '{model_id}' was not imported from a document",
                version=version,
                model_id=model_id,
            )
        )
    return ImportReport.model_validate(row.import_report["ko" if korean else "en"])


def _progress(
    code: str, ko: str, en: str, models: list[tuple[str, list[str], list[str]]], axis: int
) -> TaxonomyProgress:
    """Published models and their equipment types under one sub-field (axis 1) or industry (axis 2)."""
    types = [m[0] for m in models if code in m[axis]]
    return TaxonomyProgress(
        code=code,
        name=LocalizedText(ko=ko, en=en),
        published_models=len(types),
        equipment_types=len(set(types)),
    )


def key_equipment(session: Session) -> KeyEquipmentOut:
    """Progress toward the plan's 500 standardised key equipment types, by type, sub-field and industry."""
    models = repository.published_taxonomy(session)
    per_type = Counter(t for t, _, _ in models)
    industries = [_progress(i.code, i.ko, i.en, models, 2) for i in INDUSTRIES]
    return KeyEquipmentOut(
        target_equipment_types=KEY_EQUIPMENT_TARGET,
        equipment_types=len(per_type),
        published_models=len(models),
        progress_pct=round(100 * len(per_type) / KEY_EQUIPMENT_TARGET, 1),
        by_equipment_type=[
            TypeProgress(equipment_type=t, published_models=n) for t, n in sorted(per_type.items())
        ],
        by_subfield=[_progress(s.code, s.ko, s.en, models, 1) for s in SUBFIELDS],
        by_industry=[i for i in industries if i.published_models],
    )
