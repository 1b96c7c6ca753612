"""Clinical safety (issue 13): the behaviours the hazard log (ontology/hazards.ttl) names as controls,
checked on the shipped vignettes and on generated cases. The expectations of single cases are the
clinical-safety corpus of the rule test manifests (tests/manifests/, the entries marked dt:safety
true, named safety-...); these tests check properties that must hold for every case."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from rdflib import URIRef
from rdflib.namespace import RDF

from conftest import ROOT
from reasoner.kb.knowledge_base import load_kb
from reasoner.namespaces import DORSUM
from test_properties import SETTINGS, lump, patient

D = "https://w3id.org/dorsum/"
VIGNETTES = sorted((ROOT / "tests" / "vignettes").glob("*.json"))
# the conclusion lists and the key naming each item, as ontology/results.ttl declares them
_DECLARED = load_kb().result_kinds
KINDS = tuple(k.json_key for k in _DECLARED.lists)
SLUG = {k.json_key: k.item_key for k in _DECLARED.lists}
OBSERVE_ACTION = "observation-and-reassurance"

# generated cases use the new input keys too (lump.present, lump.midline, lump.wide_base)
safety_lump = st.one_of(
    lump,
    lump.map(lambda d: {**d, "present": False}),
    st.fixed_dictionaries({}, optional={"present": st.booleans(), "midline": st.booleans(),
                                        "wide_base": st.booleans(), "keratotic_projection": st.booleans(),
                                        "pain": st.booleans(), "inflamed": st.booleans()}))
generated_case = st.fixed_dictionaries(
    {"id": st.just("g"), "patient": patient},
    optional={
        "lump": safety_lump,
        "skin_markers": st.lists(st.sampled_from(["hairy-patch", "simple-dimple", "atypical-dimple", "dermal-sinus"]),
                                 unique=True, max_size=2),
        "imaging": st.fixed_dictionaries({"ultrasound": st.sampled_from(["not-done", "benign", "lipoma",
                                                                         "suggestive-of-sarcoma", "uncertain"])}),
        "clinical_concern_persists": st.booleans(),
        "suspected": st.lists(st.sampled_from(["lipoma", "melanoma", "neoplasm"]), unique=True, max_size=2),
        "excision_requested_for": st.sampled_from(["cosmetic", "diagnostic-certainty"]),
    })


def conclusions(result: dict):
    """(kind, slug, item) for every conclusion the result shows, urgency included."""
    if result.get("urgency"):
        yield "urgency", result["urgency"]["level"], result["urgency"]
    for k in KINDS:
        for item in result[k]:
            yield k, item[SLUG[k]], item


def vignette_results(classifier):
    return [r.json for r in classifier.classify_paths(VIGNETTES)]


def check_reassurance_is_earned(r: dict) -> None:
    """observe (and reassurance) never beside a red flag, a missing finding or anything more urgent."""
    if r["status"] != "classified":
        return
    reassured = any(a["action"] == OBSERVE_ACTION for a in r["actions"])
    if r["urgency"]["level"] == "observe" or reassured:
        assert r["urgency"]["level"] == "observe", r
        assert not r["missing"], r
        assert not [f for f in r["risk_factors"] if f["factor"] != "firm-mass-over-3cm"], r
        assert not {d["diagnosis"] for d in r["differential"]} & {"soft-tissue-sarcoma", "melanoma", "cutaneous-horn",
                                                                  "squamous-cell-carcinoma", "spinal-dysraphism"}, r
    if "cutaneous-horn" in r["pathways"]:
        assert not reassured and r["urgency"]["level"] != "observe", r


def check_pathways(r: dict) -> None:
    """Every conclusion comes from a pathway the case entered (the no-guidance policy rule aside)."""
    if r["status"] != "classified":
        return
    for kind, slug, item in conclusions(r):
        if item["pathway"] is None:
            assert kind == "urgency" and slug == "undetermined" and not r["pathways"], (kind, slug, r)
        else:
            assert item["pathway"] in r["pathways"], (kind, slug, item["pathway"], r["pathways"])
    # a skin lesion alone never goes down the soft-tissue sarcoma pathway
    if r["pathways"] and set(r["pathways"]) <= {"cutaneous-horn", "pigmented-lesion"}:
        assert "ultrasound-soft-tissue" not in {a["action"] for a in r["actions"]}
        assert "soft-tissue-sarcoma" not in {d["diagnosis"] for d in r["differential"]}


def test_observe_never_stands_beside_a_red_flag_or_a_missing_finding(classifier):
    results = vignette_results(classifier)
    assert any(r["urgency"] and r["urgency"]["level"] == "observe" for r in results)
    for r in results:
        check_reassurance_is_earned(r)


@SETTINGS
@given(case=generated_case)
def test_generated_cases_earn_their_reassurance_and_keep_to_their_pathways(classify_case, case):
    r = classify_case(case).json
    check_reassurance_is_earned(r)
    check_pathways(r)


def test_rules_of_a_pathway_never_fire_outside_it(classifier):
    results = vignette_results(classifier)
    for r in results:
        check_pathways(r)
    entered = {p for r in results for p in r["pathways"]}
    assert entered == {"adult-soft-tissue", "cyp-soft-tissue", "cutaneous-horn", "pigmented-lesion", "spinal-dysraphism"}


def test_check_refuses_a_rule_without_its_pathway_guard(kb_copy, shared_check_reports):
    # both checks are shared with other tests' copies of the same files (conftest.shared_check_reports):
    # the shipped files, and the same unguarded rule in tests/test_verify_safety.py
    from reasoner.qa.check import run_check
    rule = kb_copy / "queries" / "rules" / "cutaneous-horn-scc-features.rq"
    text = rule.read_text()
    guard = "dorsum:entersPathway dorsum:pathway-cutaneous-horn ; "
    assert guard in text
    assert not [p for p in run_check(kb_copy, reasoner=False).problems if p.severity == "ERROR"]
    rule.write_text(text.replace(guard, ""))
    errors = [p for p in run_check(kb_copy, reasoner=False).problems if p.severity == "ERROR"]
    assert [(p.section, p.node) for p in errors] == [("pathway-guard", "queries/rules/cutaneous-horn-scc-features.rq")]
    assert "pathway-cutaneous-horn" in errors[0].message


def test_conclusions_cite_only_what_fired(classify_case, classifier, kb):
    # an adult's growing lump: the red-flag ultrasound cites growth, never pain, depth or neonatal onset
    r = classify_case({"id": "g", "patient": {"age_years": 54},
                       "lump": {"size_cm": 2, "depth": "superficial", "fixed_to_deep_tissue": False, "growth": "increasing",
                                "consistency": "rubbery", "ulceration": False, "bleeding": False, "pain": False}}).json
    us = next(a for a in r["actions"] if a["action"] == "ultrasound-soft-tissue")
    assert D + "stmt-red-flag-rapid-growth" in us["statements"]
    assert D + "stmt-ng12-adult-urgent-ultrasound" in us["statements"]
    for unrelated in ("neonatal-onset", "pain", "deep", "size-over-3cm", "firm", "ulceration-or-bleeding"):
        assert D + "stmt-red-flag-" + unrelated not in us["statements"], unrelated
    # every risk factor cites exactly the statement of its own flag
    for f in r["risk_factors"]:
        assert len(f["statements"]) == 1
    # a statement a conclusion cites is one its rules implement, or one a premise cited
    implemented = {str(s) for _r, s in kb.graph.subject_objects(DORSUM.implements)}
    for res in vignette_results(classifier):
        for _kind, _slug, item in conclusions(res) if res["status"] == "classified" else ():
            assert set(item["statements"]) <= implemented, item


def test_evidence_status_and_conflicts(classifier, kb):
    g = kb.graph
    for r in vignette_results(classifier):
        if r["status"] != "classified":
            continue
        for kind, slug, item in conclusions(r):
            verified = item["statements"] and all(
                g.value(URIRef(s), DORSUM.verification) == DORSUM.verified for s in item["statements"])
            assert item["evidence_status"] == ("verified" if verified else "unverified"), (kind, slug)
            # a reference the statements conflict with is never listed as support
            support = {str(ref) for s in item["statements"] for p in (DORSUM.confirmedBy, DORSUM.refinedBy)
                       for ref in g.objects(URIRef(s), p)} | {
                str(ref) for s in item["statements"] for ref in g.objects(URIRef(s), URIRef("http://purl.org/dc/terms/source"))}
            assert {ref["id"] for ref in item["references"]} == support, (kind, slug)
            for c in item["conflicts"]:
                assert g.value(URIRef(c["statement"]), DORSUM.conflictNote) is not None
                assert c["note"] and list(g.objects(URIRef(c["statement"]), DORSUM.conflictsWith))
    by_case = {r["case"]: r for r in vignette_results(classifier)}
    referral = next(a for a in by_case["safety-adult-ultrasound-suggestive"]["actions"]
                    if a["action"] == "suspected-cancer-pathway-referral")
    assert referral["evidence_status"] == "verified"
    assert D + "stmt-suspected-cancer-pathway-referral" in {c["statement"] for c in referral["conflicts"]}
    assert D + "stmt-suspected-cancer-pathway-referral" not in referral["statements"]
    # the horn's margin is the article's unverified figure: the excision says so
    excision = next(a for a in by_case["safety-horn-quiet-all-known"]["actions"]
                    if a["action"] == "excisional-biopsy-with-margins")
    assert excision["evidence_status"] == "unverified" and excision["conflicts"]


def test_the_prov_graph_says_what_the_json_says(classifier):
    results = classifier.classify_paths([ROOT / "tests" / "vignettes" / "safety-adult-deep-7cm-no-imaging.json",
                                         ROOT / "tests" / "vignettes" / "safety-horn-painful.json"])
    for res in results:
        g, j = res.graph, res.json
        for key, cls, prop in ((k.json_key, k.cls, k.value) for k in classifier.kb.result_kinds.lists
                               if not k.named_by_path):
            for item in j[key]:
                nodes = [c for c in g.subjects(RDF.type, cls) if classifier.view.slug(g.value(c, prop)) == item[SLUG[key]]]
                assert nodes
                cited = {str(s) for c in nodes for s in g.objects(c, DORSUM.supportedBy)}
                assert cited == set(item["statements"]), item
                assert {classifier.view.slug(g.value(c, DORSUM.pathway)) for c in nodes} == {item["pathway"]}
        case = URIRef(f"{D}case/{j['case']}")
        assert {classifier.view.slug(p) for p in g.objects(case, DORSUM.entersPathway)} == set(j["pathways"])


def test_time_targets_say_what_they_mean(classifier):
    by_case = {r["case"]: r for r in vignette_results(classifier)}
    adult = next(a for a in by_case["safety-adult-ultrasound-suggestive"]["actions"]
                 if a["action"] == "suspected-cancer-pathway-referral")
    assert adult["within_days"] == 28 and "28 days" in adult["within_days_label"]
    cyp = next(a for a in by_case["child-ultrasound-suggestive-of-sarcoma"]["actions"]
               if a["action"] == "suspected-cancer-pathway-referral")
    assert cyp["within_days"] == 2 and "48 hours" in cyp["within_days_label"]
    us = next(a for a in by_case["adult-growing-lump"]["actions"] if a["action"] == "ultrasound-soft-tissue")
    assert us["within_days"] == 14 and "2 weeks" in us["within_days_label"]
    # no source gives the horn a time standard: urgent, without one
    horn = by_case["safety-horn-painful"]["urgency"]
    assert horn["level"] == "urgent" and horn["within_days"] is None and "within_days_label" not in horn
    # do-not-delay-ultrasound only while no ultrasound has been done
    done = by_case["safety-adult-growing-lump-scan-done-benign"]
    assert "do-not-delay-ultrasound" not in {w["warning"] for w in done["warnings"]}
    assert "do-not-delay-ultrasound" in {w["warning"] for w in by_case["adult-growing-lump"]["warnings"]}


def test_null_is_an_error_not_none_seen(classify_case):
    base = {"id": "n", "patient": {"age_months": 3}, "lump": {"present": False}}
    for markers, path in ((None, "skin_markers"), ([None], "skin_markers[0]")):
        r = classify_case({**base, "skin_markers": markers}).json
        assert r["status"] == "invalid", r
        assert [(e["path"], e["value"]) for e in r["errors"]] == [(path, "null")]
    r = classify_case({**base, "lump": {"present": None}}).json
    assert r["status"] == "invalid" and r["errors"][0]["path"] == "lump.present"
    # [] means none seen: a valid case, and the dysraphism pathway has nothing to ask
    r = classify_case({**base, "skin_markers": []}).json
    assert r["status"] == "classified" and r["pathways"] == [] and r["urgency"]["level"] == "undetermined"


def test_the_hazard_log_is_covered(classifier):
    from reasoner.kb.coverage import hazard_log
    from reasoner.kb.manifests import anchor_for, read_manifest
    manifest = ROOT / "tests" / "manifests" / "manifest.ttl"
    names = {e.name for e in read_manifest(manifest, anchor_for(manifest, ROOT))}
    log = hazard_log(classifier.kb.graph, names, ROOT)
    assert len(log) >= 9
    for hazard, entry in log.items():
        assert entry["controls"] and entry["tests"] and not entry["unknown"] and not entry["unknown_controls"], hazard
    # a test named by the log that is not there is a gap
    assert hazard_log(classifier.kb.graph, names - {"safety-adult-ultrasound-suggestive"}, ROOT)[
        D + "hazard-biopsy-before-referral"]["unknown"] == ["safety-adult-ultrasound-suggestive"]
