"""Rules of AI use cases: ownership, publication, effects, the search index. Flushes, never commits."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from services.kit import reference as ref
from services.kit import search_terms
from services.kit.bodies import merged
from services.kit.db import utcnow
from services.kit.errors import Conflict, PreconditionFailed, ValidationFailed, field_error
from services.kit.messages import Msg
from services.kit.pagination import decode_offset, encode_cursor
from services.kit.principal import Principal
from services.kit.search_terms import Word
from services.usecases import repository, search_index
from services.usecases.models import Effect, ModelRef, UseCase
from services.usecases.schemas import (
    EffectIn,
    RegionCount,
    RegionCounts,
    Taxonomy,
    TermCount,
    UseCaseIn,
    UseCaseOut,
    UseCasePatch,
)
from services.usecases.taxonomy import PROBLEM_NAMES, TECHNIQUE_NAMES

MAX_SEARCH_PAGE = 50


def improvement_pct(effect: EffectIn) -> float | None:
    if effect.before == 0:
        return None
    change = (effect.after - effect.before) / effect.before * 100
    return round(change if effect.higher_is_better else -change, 2)


def _index_weights(data: UseCaseIn) -> dict[str, float]:
    return search_index.weights(
        title=data.title.model_dump(),
        summary=data.summary.model_dump(),
        problem_type=data.problem_type.value,
        technique=data.technique.value,
        data_used=[name for d in data.data_used for name in (d.ko, d.en) if name],
        metrics=[e.metric.model_dump() for e in data.effects],
        model_ids=[r.model_id for r in data.equipment_model_refs],
        region_code=data.region_code,
        industry_code=data.industry_code,
    )


def _apply(session: Session, case: UseCase, data: UseCaseIn) -> None:
    case.title = data.title.model_dump()
    case.summary = data.summary.model_dump()
    case.problem_type = data.problem_type.value
    case.technique = data.technique.value
    case.data_used = [d.model_dump() for d in data.data_used]
    case.region_code = data.region_code
    case.industry_code = data.industry_code
    case.supplier_company_id = data.supplier_company_id
    case.deployment_id = data.deployment_id
    case.model_refs = [
        ModelRef(position=i, model_id=r.model_id, version=r.version)
        for i, r in enumerate(data.equipment_model_refs)
    ]
    case.effects = [
        Effect(
            position=i,
            metric=e.metric.model_dump(),
            unit=e.unit,
            before=e.before,
            after=e.after,
            higher_is_better=e.higher_is_better,
            improvement_pct=improvement_pct(e),
        )
        for i, e in enumerate(data.effects)
    ]
    session.flush()
    repository.replace_terms(session, case.id, _index_weights(data))


def create(session: Session, principal: Principal, data: UseCaseIn) -> UseCase:
    case = UseCase(owner_org_id=principal.owner_for(data.owner_org_id), status="draft")
    session.add(case)
    _apply(session, case, data)
    return case


def _as_input(case: UseCase) -> dict[str, Any]:
    out = to_out(case).model_dump(mode="json")
    keep = set(UseCaseIn.model_fields)
    effects = [{k: v for k, v in e.items() if k != "improvement_pct"} for e in out["effects"]]
    return {k: v for k, v in out.items() if k in keep} | {"effects": effects}


def _owned(session: Session, principal: Principal, case_id: str) -> UseCase:
    case = repository.get(session, case_id, principal)
    principal.require_org(case.owner_org_id)
    return case


def update(
    session: Session, principal: Principal, case_id: str, patch: UseCasePatch, expected: int | None = None
) -> UseCase:
    """The case changed by ``patch``; 412 when ``expected`` (the ``If-Match`` version) is not the current
    one. Two changes sent at once from the same version may both pass the check: the later one wins, as
    without ``If-Match``; the check catches what a person edits from a page read long before."""
    case = _owned(session, principal, case_id)
    if expected is not None and expected != case.version:
        raise PreconditionFailed(
            Msg(
                "the use case changed meanwhile (version {version}, If-Match {expected}): reload it",
                version=case.version,
                expected=expected,
            )
        )
    data = merged(UseCaseIn, _as_input(case), patch, "use case")
    if case.status == "published":
        _require_bilingual(data)
    _apply(session, case, data)
    return case


def _require_bilingual(data: UseCaseIn) -> None:
    missing = [
        field_error(f"body.{name}.en", Msg("an English text is required to publish"))
        for name in ("title", "summary")
        if not getattr(data, name).en
    ]
    if missing:
        raise ValidationFailed(Msg("published use cases carry Korean and English text"), fields=missing)


def publish(session: Session, principal: Principal, case_id: str) -> UseCase:
    case = _owned(session, principal, case_id)
    if case.status == "published":
        raise Conflict(Msg("use case '{case_id}' is already published", case_id=case_id))
    _require_bilingual(UseCaseIn.model_validate(_as_input(case)))
    case.status = "published"
    case.published_at = utcnow()
    session.flush()
    return case


def unpublish(session: Session, principal: Principal, case_id: str) -> UseCase:
    case = _owned(session, principal, case_id)
    if case.status != "published":
        raise Conflict(Msg("use case '{case_id}' is not published", case_id=case_id))
    case.status = "draft"
    case.published_at = None
    session.flush()
    return case


def delete(session: Session, principal: Principal, case_id: str) -> None:
    case = _owned(session, principal, case_id)
    repository.replace_terms(session, case.id, {})
    session.delete(case)
    session.flush()


def to_out(case: UseCase) -> UseCaseOut:
    return UseCaseOut.model_validate(case, from_attributes=True)


def region_counts(session: Session) -> RegionCounts:
    counts = repository.published_counts(session, UseCase.region_code)
    return RegionCounts(
        items=[RegionCount(code=r.code, ko=r.ko, en=r.en, count=counts.get(r.code, 0)) for r in ref.REGIONS]
    )


def taxonomy(session: Session) -> Taxonomy:
    problems = repository.published_counts(session, UseCase.problem_type)
    techniques = repository.published_counts(session, UseCase.technique)
    return Taxonomy(
        problem_types=[
            TermCount(code=p.value, ko=ko, en=en, count=problems.get(p.value, 0))
            for p, (ko, en) in PROBLEM_NAMES.items()
        ],
        techniques=[
            TermCount(code=t.value, ko=ko, en=en, count=techniques.get(t.value, 0))
            for t, (ko, en) in TECHNIQUE_NAMES.items()
        ],
    )


def query_words(query: str) -> list[Word]:
    """The query's distinct words; 422 naming ``query.q`` when it holds none."""
    words = search_terms.query_words(query)
    if not words:
        raise ValidationFailed(
            Msg("the query holds no searchable word"),
            fields=[field_error("query.q", Msg("no Korean, English or numeric word"))],
        )
    return words


def rarity(session: Session, words: Sequence[Word]) -> dict[str, float]:
    """How much each term of ``words`` weighs: more when few cases hold it."""
    wanted = list(dict.fromkeys(t for word in words for t in word.terms))
    total, holding = repository.frequencies(session, wanted)
    return {t: math.log(1 + max(1, total) / holding[t]) for t in wanted if t in holding}


def search(
    session: Session, principal: Principal | None, query: str, limit: int, cursor: str | None
) -> tuple[list[repository.Hit], str | None]:
    """Cases holding at least half of the query's words, ranked by field weight × rarity of each term; and
    the cursor of the next page."""
    words = query_words(query)
    offset = decode_offset(cursor)
    hits = repository.ranked(session, rarity(session, words), words, principal, offset, limit + 1)
    return hits[:limit], encode_cursor([offset + limit]) if len(hits) > limit else None
