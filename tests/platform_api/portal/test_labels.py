"""Every code the portal shows has a Korean and an English name; unknown codes are shown as themselves."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from platform_api.portal.labels import STRATEGIC_SUBFIELDS, VOCABULARIES, Labels, name, text
from services.kit import reference as ref
from services.usecases.taxonomy import ProblemType, Technique


@pytest.mark.parametrize(
    ("vocabulary", "codes"),
    [
        ("region", [r.code for r in ref.REGIONS]),
        ("region_short", [r.code for r in ref.REGIONS]),
        ("industry", [i.code for i in ref.INDUSTRIES]),
        ("subfield", [s.code for s in ref.SUBFIELDS]),
        ("level", [lv.value for lv in ref.SystemLevel]),
        ("stage", list(ref.STAGE_CODES)),
        ("kpi", [k.value for k in ref.KpiKind]),
        ("problem", [p.value for p in ProblemType]),
        ("technique", [t.value for t in Technique]),
        ("growth", [g.value for g in ref.GrowthStage]),
    ],
)
def test_every_code_has_two_distinct_names(vocabulary: str, codes: list[str]) -> None:
    for code in codes:
        ko, en = name(vocabulary, code, "ko"), name(vocabulary, code, "en")
        assert en and en != code, (vocabulary, code)
        assert ko and (ko != code or vocabulary in ("level", "growth")), (vocabulary, code)  # Korean codes
        assert any("가" <= ch <= "힣" for ch in ko) or code == "INTL-XR", (vocabulary, code, ko)  # AR·VR·MR
        assert en.isascii(), (vocabulary, code, en)


def test_names_match_the_reference_api(client: TestClient) -> None:
    regions = client.get("/api/v1/reference/regions").json()
    assert {r["code"]: (r["ko"], r["en"]) for r in regions} == VOCABULARIES["region"]
    strategic = {
        s["code"]
        for area in client.get("/api/v1/reference/taxonomy").json()
        for s in area["subfields"]
        if s["strategic"]
    }
    assert strategic == STRATEGIC_SUBFIELDS and len(strategic) == 7
    taxonomy = client.get("/api/v1/usecases/taxonomy").json()
    for term in taxonomy["problem_types"]:
        assert (name("problem", term["code"], "ko"), name("problem", term["code"], "en")) == (
            term["ko"],
            term["en"],
        )


def test_unknown_codes_and_bilingual_text() -> None:
    assert name("problem", "new_kind_of_problem", "ko") == "new_kind_of_problem"
    assert name("region", None, "en") == ""
    assert text({"ko": "불량률", "en": "Defect rate"}, "en") == "Defect rate"
    assert text({"ko": "불량률", "en": None}, "en") == "불량률", "English falls back to Korean"
    assert text({"ko": "", "en": "Only English"}, "ko") == "Only English"
    labels = Labels("en")
    assert labels("subfield", "INTL-AI") == "Manufacturing big data & AI" and labels.strategic("INTL-AI")
    assert not labels.strategic("AUTO-ROBOT")
