"""Clinical logic lives in ontology/, shapes/ and queries/: the engine knows no clinical term, and a
knowledge engineer adds a rule by adding a file."""

from __future__ import annotations

import json
import re

from conftest import ROOT

CLINICAL_WORDS = re.compile(r"lipoma|sarcoma|dimple|melanoma|neonat|ultrasound|red-flag|stmt-|risk-|dx-|urgency-|"
                            r"threshold-|size_cm|sizeCm|growth", re.I)


def test_engine_code_has_no_clinical_terms():
    offenders = []
    for path in sorted((ROOT / "reasoner").rglob("*.py")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if CLINICAL_WORDS.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_adding_a_rule_file_adds_a_conclusion(kb_copy, tmp_path, classifier):
    from reasoner.pipeline import Classifier
    case = {"id": "new-rule", "patient": {"age_years": 40}, "lump": {"site": "upper-back", "inflamed": True}}
    f = tmp_path / "case.json"
    f.write_text(json.dumps(case))
    # before the rule file is added, kb_copy holds the shipped files: the session's classifier is its classifier
    before = list(classifier.classify_paths([f]))[0].json
    assert "dermatofibroma" not in [d["diagnosis"] for d in before["differential"]]
    (kb_copy / "queries" / "rules" / "differential-test-inflamed-nodule.rq").write_text("""\
# title: test rule: an inflamed lump puts dermatofibroma in the differential
# implements: dorsum:stmt-dermatofibroma-excision
# stratum: 1
# status: active
CONSTRUCT { ?dx a dorsum:DifferentialConclusion ; dorsum:aboutCase ?case ; dorsum:diagnosis dorsum:dx-dermatofibroma ;
               dorsum:becauseOf dorsum:inflamed . }
WHERE { ?case a dorsum:Case ; dorsum:lump/dorsum:inflamed true .
        BIND (IRI(CONCAT(STR(?case), "/conclusion/differential-test-inflamed-nodule/dermatofibroma")) AS ?dx) }
""")
    after = list(Classifier(kb_root=kb_copy).classify_paths([f]))[0].json
    dx = next(d for d in after["differential"] if d["diagnosis"] == "dermatofibroma")
    assert dx["rule"] == "https://w3id.org/dorsum/rule/differential-test-inflamed-nodule"
    assert dx["because"] == ["lump.inflamed = true"]
    assert dx["statements"] == ["https://w3id.org/dorsum/stmt-dermatofibroma-excision"]


def test_retired_rule_does_not_fire(kb_copy, tmp_path):
    from reasoner.pipeline import Classifier
    rule = kb_copy / "queries" / "rules" / "differential-epidermoid-cyst.rq"
    rule.write_text(rule.read_text().replace("# status: active", "# status: retired"))
    f = tmp_path / "case.json"
    f.write_text(json.dumps({"id": "r", "patient": {"age_years": 40}, "lump": {"punctum": True}}))
    result = list(Classifier(kb_root=kb_copy).classify_paths([f]))[0].json
    assert "epidermoid-cyst" not in [d["diagnosis"] for d in result["differential"]]


def test_thresholds_are_data(kb_copy, tmp_path, classifier):
    """Changing the red-flag size in one place (the threshold individual) changes the conclusion."""
    from reasoner.pipeline import Classifier
    f = tmp_path / "case.json"
    f.write_text(json.dumps({"id": "t", "patient": {"age_years": 10}, "lump": {"size_cm": 4}}))
    before = list(classifier.classify_paths([f]))[0].json  # the shipped files, as in kb_copy before the edit
    assert "size-over-3cm" in [r["factor"] for r in before["risk_factors"]]
    th = kb_copy / "ontology" / "thresholds.ttl"
    text = th.read_text()
    start = text.index("dorsum:threshold-red-flag-size-cm ")
    th.write_text(text[:start] + text[start:].replace('dorsum:thresholdValue "3"^^xsd:decimal', 'dorsum:thresholdValue "5"^^xsd:decimal', 1))
    after = list(Classifier(kb_root=kb_copy).classify_paths([f]))[0].json
    assert "size-over-3cm" not in [r["factor"] for r in after["risk_factors"]]
