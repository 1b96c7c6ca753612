"""The conclusion kinds are declared once, in ontology/results.ttl: a new kind declared only in a copy
of the knowledge base (a class with the annotations, and a rule concluding it) appears in the JSON
result, the report, the run manifest's summary and the diff, with no change to Python."""

from __future__ import annotations

import io
import json

from rich.console import Console

from conftest import ROOT

NEW_KIND = """
dorsum:AdviceConclusion a owl:Class ; rdfs:subClassOf dorsum:Conclusion ;
    rdfs:label "advice"@en ; skos:definition "A test kind: advice to the patient."@en ;
    dorsum:reportLabel "advice" ; dorsum:conclusionValue dorsum:advice ;
    dorsum:jsonKey "advice" ; dorsum:jsonOrder 7 ; dorsum:jsonItemKey "advice" .
dorsum:advice a owl:ObjectProperty ; rdfs:label "advice"@en ; skos:definition "The advice given."@en .
dorsum:advice-keep-warm a owl:NamedIndividual ; rdfs:label "keep the lump warm"@en ; skos:notation "keep-warm" .
"""

NEW_RULE = """\
# title: test rule: an inflamed lump gets advice
# implements: dorsum:stmt-dermatofibroma-excision
# stratum: 1
# status: active
CONSTRUCT { ?a a dorsum:AdviceConclusion ; dorsum:aboutCase ?case ; dorsum:advice dorsum:advice-keep-warm ;
               dorsum:becauseOf dorsum:inflamed . }
WHERE { ?case a dorsum:Case ; dorsum:lump/dorsum:inflamed true .
        BIND (IRI(CONCAT(STR(?case), "/conclusion/advice-test/keep-warm")) AS ?a) }
"""


def test_each_kind_the_json_shows_is_declared(kb, classifier, classify_case):
    kinds = kb.result_kinds
    assert kinds.keys == ("urgency", "actions", "warnings", "differential", "risk_factors", "missing")
    assert {k.json_key: k.item_key for k in kinds.shown} == {
        "urgency": "level", "actions": "action", "warnings": "warning", "differential": "diagnosis",
        "risk_factors": "factor", "missing": "finding"}
    result = classify_case({"id": "k", "patient": {"age_years": 40}, "lump": {"site": "upper-back"}}).json
    keys = list(result)
    assert keys[keys.index("pathways") + 1:keys.index("knowledge_base")] == list(kinds.keys)


def test_a_kind_declared_only_in_the_knowledge_base_is_shown_everywhere(kb_copy, tmp_path):
    from reasoner.pipeline import Classifier
    from reasoner.repro.impact import diff
    from reasoner.repro.run_manifest import summary
    from reasoner.results.report import render_report

    with open(kb_copy / "ontology" / "results.ttl", "a", encoding="utf-8") as fh:
        fh.write(NEW_KIND)
    (kb_copy / "queries" / "rules" / "advice-test.rq").write_text(NEW_RULE)
    f = tmp_path / "case.json"
    f.write_text(json.dumps({"id": "new-kind", "patient": {"age_years": 40},
                             "lump": {"site": "upper-back", "inflamed": True}}))

    clf = Classifier(kb_root=kb_copy)
    [result] = clf.classify_paths([f])
    keys = list(result.json)
    assert keys[keys.index("missing") + 1] == "advice" and keys[keys.index("advice") + 1] == "knowledge_base"
    [item] = result.json["advice"]
    assert item["advice"] == "keep-warm" and item["label"] == "keep the lump warm"
    assert item["rule"] == "https://w3id.org/dorsum/rule/advice-test"
    assert item["because"] == ["lump.inflamed = true"]
    assert "within_days" not in item

    out = io.StringIO()
    render_report(result, clf, Console(file=out, width=200, no_color=True))
    text = out.getvalue()
    assert "keep the lump warm" in text and "advice: keep-warm" in text

    assert summary(result.json, clf.kb.result_kinds)["advice"] == ["keep-warm"]

    report = diff(str(ROOT), kb_copy, [f])
    [case] = report["cases"]
    [change] = [c for c in case["changes"] if c["field"] == "advice"]
    assert change["appeared"] == ["keep-warm"] and change["before"] == []
    assert [r["rule"] for r in change["responsible"]] == ["https://w3id.org/dorsum/rule/advice-test"]


def test_the_result_shapes_say_each_conclusion_names_one_value_of_its_kind(kb):
    from reasoner.namespaces import SH
    g = kb.result_shapes
    for kind in kb.result_kinds.shown:
        props = [p for s in g.subjects(SH.targetClass, kind.cls) for p in g.objects(s, SH.property)
                 if g.value(p, SH.path) == kind.value]
        assert props and all(int(g.value(p, SH.minCount)) == 1 == int(g.value(p, SH.maxCount)) for p in props), kind
