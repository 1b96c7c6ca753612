"""The fast flat-form reader (reasoner/case/flatjson.py) writes exactly the triples rdflib's JSON-LD
parser gives (with blank nodes named by path), or declines and lets JSON-LD read the case."""

from __future__ import annotations

import json
import subprocess
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, VIGNETTES
from reasoner.case.context import load_context
from reasoner.case.flatjson import case_graph, compile_context
from reasoner.case.intake import case_iri, jsonld_case, unknown_keys

CTX = load_context(str(ROOT / "context" / "case.context.jsonld"))
TERMS = compile_context(CTX.context)


def same_as_jsonld(obj: dict) -> bool:
    """True when the fast reader produced a graph (and it equals JSON-LD's); False when it declined."""
    iri = case_iri(str(obj.get("id", "x")))
    fast = case_graph(obj, iri, TERMS)
    if fast is None:
        return False
    ref = jsonld_case(obj, "x", "x", iri, CTX)
    assert ref.graph is not None, (obj, ref.errors)
    assert sorted(fast) == sorted(ref.graph), obj
    return True


def test_the_shipped_context_compiles():
    assert TERMS is not None and {"patient", "lump", "skin_markers", "dates", "imaging"} <= set(TERMS)
    assert TERMS["dates"].scoped["ultrasound"].datatype is not None and TERMS["imaging"].scoped["ultrasound"].vocab


def test_every_test_case_takes_the_fast_path_and_gives_the_jsonld_graph():
    cases = [json.loads(p.read_text()) for p in VIGNETTES]
    cases += [json.loads(p.read_text()) for p in sorted((ROOT / "tests" / "invalid-cases").glob("*.json"))]
    corpus = subprocess.run([sys.executable, str(ROOT / "bench" / "corpus.py"), "400"], capture_output=True,
                            text=True, check=True).stdout.splitlines()
    cases += [c for c in map(json.loads, corpus) if isinstance(c, dict) and not unknown_keys(c, CTX)]
    assert len(cases) > 400
    assert all(same_as_jsonld(c) for c in cases)


def test_values_json_ld_reads_as_iris_or_terms_take_the_jsonld_path():
    for depth in ("pain", "dorsum:depth-deep", "http://example.org/x", "@id", "", "a/b"):
        assert case_graph({"id": "x", "lump": {"depth": depth}}, case_iri("x"), TERMS) is None
    assert case_graph({"id": "x", "lump": {"depth": {"a": 1}}}, case_iri("x"), TERMS) is None
    assert case_graph({"id": "x", "dates": {"first_seen": 20250101}}, case_iri("x"), TERMS) is None


KEYS = sorted(CTX.terms)
scalar = (st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False, allow_infinity=False)
          | st.sampled_from(["deep", "pain", "benign", "hairy-patch", "2025-01-02", "x:y", "@type", "", "neoplasm"])
          | st.text(max_size=6))
value = st.recursive(scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
                     max_leaves=8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.dictionaries(st.sampled_from(KEYS), value, max_size=5))
def test_any_case_with_known_keys_gives_the_jsonld_graph_or_is_declined(case):
    case = {**case, "id": "h"}
    if unknown_keys(case, CTX):
        return
    same_as_jsonld(case)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=__import__("test_properties").valid_case)
def test_generated_valid_cases_take_the_fast_path(case):
    assert same_as_jsonld(case)
