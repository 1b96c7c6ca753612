"""Property-based tests (hypothesis): whatever the input, exactly one result per case, never a
traceback; valid cases keep dorsum's invariants; near-valid cases are invalid with a named path."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ENUMS = {
    "depth": ["superficial", "deep"],
    "growth": ["stable", "increasing", "rapid", "unknown"],
    "consistency": ["soft", "rubbery", "firm", "hard", "fluctuant"],
    "onset": ["neonatal", "later"],
}
BOOLS = ["fixed_to_deep_tissue", "mobile", "ulceration", "bleeding", "pain", "pigmented", "keratotic_projection",
         "sun_exposed_site", "punctum", "inflamed"]
MARKERS = ["hairy-patch", "discoloration", "capillary-malformation", "simple-dimple", "atypical-dimple",
           "dermal-sinus", "draining-sinus", "subcutaneous-mass-with-skin-changes"]
RED_FLAG_PATHS = {"lump.size_cm", "lump.depth", "lump.fixed_to_deep_tissue", "lump.growth", "lump.consistency",
                  "lump.ulceration", "lump.bleeding", "lump.pain", "lump.onset"}


def optional(d: dict) -> st.SearchStrategy:
    """A dict with any subset of the given key strategies (absent = unknown)."""
    return st.fixed_dictionaries({}, optional=d)


lump = optional({
    "size_cm": st.floats(min_value=0.1, max_value=30, allow_nan=False).map(lambda x: round(x, 1)),
    **{k: st.sampled_from(v) for k, v in ENUMS.items()},
    **{k: st.booleans() for k in BOOLS},
    "pigmented_lesion": optional({**{k: st.booleans() for k in ("change_in_size", "irregular_shape", "irregular_colour",
                                                                 "inflammation", "oozing", "change_in_sensation")},
                                  "diameter_mm": st.integers(min_value=1, max_value=30)}),
})
patient = st.one_of(
    st.fixed_dictionaries({"age_years": st.integers(min_value=0, max_value=100)}),
    st.fixed_dictionaries({"age_months": st.integers(min_value=0, max_value=300)}),
    st.fixed_dictionaries({"age_days": st.integers(min_value=0, max_value=400)}),
)
valid_case = st.fixed_dictionaries(
    {"id": st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_ /#<>é", min_size=1, max_size=20).filter(str.strip),
     "patient": patient},
    optional={
        "lump": lump,
        "skin_markers": st.lists(st.sampled_from(MARKERS), unique=True, max_size=3),
        "imaging": st.fixed_dictionaries({"ultrasound": st.sampled_from(["not-done", "benign", "lipoma",
                                                                         "suggestive-of-sarcoma", "uncertain"])}),
        "clinical_concern_persists": st.booleans(),
        "suspected": st.lists(st.sampled_from(["neoplasm", "infected-dermal-sinus", "lipoma", "melanoma"]), unique=True, max_size=2),
        "excision_requested_for": st.sampled_from(["cosmetic", "infection-prevention", "diagnostic-certainty"]),
    })

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                             HealthCheck.too_slow])


def given_paths(case: dict, prefix: str = "") -> set[str]:
    """Paths the case gives a value for (the explicit answer "unknown" is not a value)."""
    out = set()
    for k, v in case.items():
        path = f"{prefix}{k}"
        if v != "unknown":
            out.add(path)
        if isinstance(v, dict):
            out |= given_paths(v, path + ".")
    return out


@SETTINGS
@given(case=valid_case)
def test_valid_cases_keep_the_invariants(classify_case, case):
    r = classify_case(case).json
    assert r["status"] == "classified", r["errors"]
    assert r["case"] == case["id"]
    conclusions = [r["urgency"]] + [x for k in ("actions", "warnings", "differential", "risk_factors", "missing") for x in r[k]]
    for c in conclusions:  # every conclusion carries rule, statement and reference
        assert c["rule"] and c["statements"] and c["references"], c
    red_flags = {f["factor"] for f in r["risk_factors"]} - {"firm-mass-over-3cm"}
    us = case.get("imaging", {}).get("ultrasound")
    if red_flags and us in (None, "not-done"):
        assert r["urgency"]["level"] in ("urgent", "very-urgent"), r["urgency"]
        assert r["urgency"]["level"] != "observe"
    given_ = given_paths(case)
    for m in r["missing"]:  # missing never lists a finding that was given
        assert m["finding"] not in given_, m
    if r["urgency"]["level"] == "observe":  # never reassured while something is unknown or a red flag stands
        assert not r["missing"]
        assert not red_flags or us not in (None, "not-done")


BREAKERS = [
    ("lump.size_cm", "big"), ("lump.size_cm", -3), ("lump.depth", "sideways"), ("lump.pain", "yes"),
    ("patient.age_years", 999), ("patient.age_years", "ten"), ("lump.sise_cm", 2), ("imaging.ultrasound", "maybe"),
    ("skin_markers", ["mole"]), ("dates.first_seen", "yesterday"), ("excision_requested_for", "boredom"),
]


@SETTINGS
@given(case=valid_case, breaker=st.sampled_from(BREAKERS))
def test_near_valid_cases_are_invalid_with_a_named_path(classify_case, case, breaker):
    path, value = breaker
    case = json.loads(json.dumps(case))
    node = case
    *parents, last = path.split(".")
    for p in parents:
        node = node.setdefault(p, {})
    node[last] = value
    if path.startswith("patient.age"):
        for k in ("age_years", "age_months", "age_days"):
            case["patient"].pop(k, None)
        case["patient"]["age_years"] = value
    r = classify_case(case).json
    assert r["status"] == "invalid"
    assert any(e["path"] == path for e in r["errors"]), (path, r["errors"])
    assert all(e["message"] for e in r["errors"])


@SETTINGS
@given(junk=st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                         lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                         max_leaves=12))
def test_arbitrary_json_gives_exactly_one_result_and_no_traceback(tmp_path_factory, classifier, junk):
    d = tmp_path_factory.mktemp("junk")
    line, doc = d / "junk.jsonl", d / "junk.json"
    line.write_text(json.dumps(junk) + "\n")
    doc.write_text(json.dumps(junk))
    results = list(classifier.classify_paths([line]))
    assert len(results) == 1  # a JSON Lines line is one case, whatever it holds
    in_doc = list(classifier.classify_paths([doc]))
    assert len(in_doc) == (len(junk) if isinstance(junk, list) else 1)  # a JSON array holds that many cases
    for res in results + in_doc:
        assert res.status in ("classified", "invalid")
        if res.status == "invalid":
            assert res.json["errors"] and all("path" in e and e["message"] for e in res.json["errors"])


@SETTINGS
@given(text=st.text(max_size=200))
def test_arbitrary_turtle_text_gives_a_result_and_no_traceback(tmp_path_factory, classifier, text):
    f = tmp_path_factory.mktemp("ttl") / "case.ttl"
    f.write_text("@prefix dorsum: <https://w3id.org/dorsum/> .\n" + text, encoding="utf-8")
    results = list(classifier.classify_paths([f]))
    assert len(results) >= 1
    for res in results:
        assert res.status in ("classified", "invalid")


@SETTINGS
@given(case=valid_case)
def test_rdf_form_gives_the_same_result_as_the_flat_form(classify_case, tmp_path_factory, classifier, case):
    """The same case sent as Turtle (the RDF form) is classified exactly as its flat JSON form."""
    flat = classify_case(case)
    from reasoner.case.intake import flat_case
    ci = flat_case(case, "x", classifier.ctx)
    assert ci.graph is not None, (case, ci.errors)
    f = tmp_path_factory.mktemp("rdf") / "case.ttl"
    f.write_text(ci.graph.serialize(format="turtle"), encoding="utf-8")
    (as_rdf,) = list(classifier.classify_paths([f]))
    assert as_rdf.status == flat.status == "classified"
    assert as_rdf.json == flat.json
