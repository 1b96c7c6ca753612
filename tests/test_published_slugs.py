"""The slugs issues #2 and #13 published are a public API: each exists, in its scheme, exactly as
published; so do the input keys and output fields issue #13 added."""

from __future__ import annotations

import pytest
from rdflib import Literal
from rdflib.namespace import SKOS

from reasoner.namespaces import DORSUM

PUBLISHED = {
    "scheme-age-group": ["neonate", "infant-under-4-months", "child", "young-person", "adult"],
    "scheme-risk-factor": ["size-over-3cm", "deep", "rapid-growth", "firm", "ulceration-or-bleeding", "pain", "neonatal-onset",
                           "size-over-5cm"],
    "scheme-skin-marker": ["hairy-patch", "discoloration", "capillary-malformation", "simple-dimple", "atypical-dimple",
                           "dermal-sinus", "draining-sinus", "subcutaneous-mass-with-skin-changes"],
    "scheme-diagnosis": ["lipoma", "atypical-lipomatous-tumour", "epidermoid-cyst", "dermatofibroma", "soft-tissue-sarcoma",
                         "cutaneous-horn", "melanoma", "spinal-dysraphism", "squamous-cell-carcinoma"],
    "scheme-action": ["ultrasound-soft-tissue", "suspected-cancer-pathway-referral", "mri-affected-region", "core-or-punch-biopsy",
                      "specialist-referral", "ultrasound-spine", "mri-spine-without-contrast", "mri-spine-with-and-without-contrast",
                      "excisional-biopsy-with-margins", "pigmented-lesion-biopsy", "observation-and-reassurance", "elective-excision"],
    "scheme-pitfall": ["no-excisional-biopsy", "no-reassurance-without-specialist", "no-shave-biopsy", "do-not-ignore-skin-markers",
                       "do-not-delay-ultrasound", "no-biopsy-before-specialist-review"],
    "scheme-urgency": ["very-urgent", "urgent", "routine", "observe", "undetermined"],
    "scheme-pathway": ["adult-soft-tissue", "cyp-soft-tissue", "cutaneous-horn", "pigmented-lesion", "spinal-dysraphism"],
}


@pytest.mark.parametrize("scheme,slug", [(s, x) for s, xs in PUBLISHED.items() for x in xs])
def test_published_slug_exists(kb, scheme, slug):
    holders = [c for c in kb.graph.subjects(SKOS.notation, Literal(slug))
               if (c, SKOS.inScheme, DORSUM[scheme]) in kb.graph]
    assert len(holders) == 1, f"{scheme}: {slug}"


def test_knight_reiner_factors_are_marked(kb):
    from rdflib.namespace import RDF
    kr = {str(kb.graph.value(c, SKOS.notation)) for c in kb.graph.subjects(RDF.type, DORSUM.KnightReinerRiskFactor)}
    assert kr == {"deep", "rapid-growth", "ulceration-or-bleeding", "neonatal-onset", "firm-mass-over-3cm"}


def test_issue_13_input_keys_and_output_fields(classify_case):
    r = classify_case({"id": "k", "patient": {"age_years": 70},
                       "lump": {"present": True, "midline": False, "keratotic_projection": True, "wide_base": True}}).json
    assert r["status"] == "classified", r["errors"]
    assert r["pathways"] == ["cutaneous-horn"]
    for item in [r["urgency"], *r["actions"], *r["warnings"], *r["differential"], *r["missing"]]:
        assert {"pathway", "evidence_status", "conflicts"} <= set(item)
        assert item["evidence_status"] in ("verified", "unverified") and isinstance(item["conflicts"], list)
