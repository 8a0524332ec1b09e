"""What a use case is found by: the weight of each of its search terms (services.kit.search_terms) in
``uc_search_terms``, summed over the fields holding it; a word in the title says more about a case than one
in its list of data sources.

Written whenever a case is written; migration 0004 rewrote the stored cases' terms from their own rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from services.kit import reference as ref
from services.kit.search_terms import terms
from services.usecases.taxonomy import PROBLEM_NAMES, TECHNIQUE_NAMES, ProblemType, Technique

TITLE_WEIGHT, LABEL_WEIGHT, BODY_WEIGHT = 3.0, 2.0, 1.0


def weights(
    *,
    title: dict[str, str | None],
    summary: dict[str, str | None],
    problem_type: str,
    technique: str,
    data_used: Iterable[str],
    metrics: Iterable[dict[str, str | None]],
    model_ids: Iterable[str],
    region_code: str,
    industry_code: str,
) -> dict[str, float]:
    """Each term of the case with its weight; ``metrics`` are the effects' bilingual metric names."""
    region = ref.REGION_BY_CODE[region_code]
    industry = ref.INDUSTRY_BY_CODE[industry_code]
    weighted: list[tuple[str | None, float]] = [
        (title.get("ko"), TITLE_WEIGHT),
        (title.get("en"), TITLE_WEIGHT),
        (" ".join(PROBLEM_NAMES[ProblemType(problem_type)]), LABEL_WEIGHT),
        (" ".join(TECHNIQUE_NAMES[Technique(technique)]), LABEL_WEIGHT),
        (summary.get("ko"), BODY_WEIGHT),
        (summary.get("en"), BODY_WEIGHT),
        (" ".join(data_used), BODY_WEIGHT),
        (" ".join(f"{m.get('ko') or ''} {m.get('en') or ''}" for m in metrics), BODY_WEIGHT),
        (" ".join(model_ids), BODY_WEIGHT),
        (f"{region.ko} {region.en} {industry.ko} {industry.en}", BODY_WEIGHT),
    ]
    out: dict[str, float] = defaultdict(float)
    for text, weight in weighted:
        for term in terms(text or ""):
            out[term] += weight
    return dict(out)
