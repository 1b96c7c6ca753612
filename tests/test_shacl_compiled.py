"""The case shapes compiled to SPARQL (reasoner/shacl/compiler.py) give exactly pySHACL's errors;
the batch load path built on them (and the engine's skipping of queries that cannot find anything
new) changes no result.

pySHACL stays the reference: on every vignette, every bad-input case of the test suite, a list of
invalid cases covering every constraint component the case shapes use, RDF inputs that JSON cannot
express, and hypothesis-generated mutations of cases, the compiled validator returns the same error
dicts as CaseValidator(engine="pyshacl") -- for each case alone and for the cases mixed in one
chunk. The compiler itself is checked against pySHACL on a small generic shapes graph using the
components the case shapes do not, and an unsupported component is refused by name.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph, URIRef

from conftest import ROOT, VIGNETTES
from test_bad_input import CASES as BAD_INPUT_CASES, VALID, with_change
from test_hostile_input import OK_CASE

from reasoner.case.context import load_context
from reasoner.case.intake import flat_case, rdf_cases
from reasoner.namespaces import SH
from reasoner.shacl.compiler import ShapeCompileError, compile_shapes
from reasoner.shacl.validate import CaseValidator


@pytest.fixture(scope="module")
def ctx(kb):
    return load_context(str(kb.paths.context))


@pytest.fixture(scope="module")
def reference(kb, ctx):
    return CaseValidator(kb, ctx, engine="pyshacl")


@pytest.fixture(scope="module")
def compiled(kb, ctx):
    return CaseValidator(kb, ctx, engine="compiled")


def vignette_cases() -> list[dict]:
    out = []
    for p in VIGNETTES:
        d = json.loads(p.read_text())
        out.append(d.get("case", d))
    return out


def bad_input_cases() -> list[dict]:
    return [with_change(path, value) for _what, path, value, *_ in BAD_INPUT_CASES]


def case(**changes) -> dict:
    """VALID with dotted-path changes (value None deletes the key)."""
    c = json.loads(json.dumps(VALID))
    for dotted, value in changes.items():
        node = c
        *parents, last = dotted.split("__")
        for p in parents:
            node = node.setdefault(p, {}) if isinstance(node.get(p, {}), dict) else node
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return c


# At least one invalid case per constraint component of shapes/case-input.ttl, at every level.
INVALID = [
    case(id=None),                                           # minCount (id; intake refuses before SHACL)
    case(id=""),                                             # minLength (intake refuses)
    case(id=5),                                              # datatype on id (intake refuses)
    {"id": "no-patient"},                                    # minCount patient
    {"id": "patient-number", "patient": 5},                  # patient a literal: xone on a literal focus
    {"id": "patient-string", "patient": "adult"},
    {"id": "patient-list", "patient": [{"age_years": 3}, {"age_years": 4}]},  # maxCount patient
    {"id": "no-age", "patient": {"sex": "female"}},          # xone: none
    {"id": "two-ages", "patient": {"age_years": 3, "age_months": 36}},  # xone: two
    {"id": "three-ages", "patient": {"age_years": 3, "age_months": 36, "age_days": 1000}},
    case(patient__age_years="three"),                        # sh:node NumberShape (sh:or of datatypes)
    case(patient__age_years=True),
    case(patient__age_years=-1),                             # minInclusive
    case(patient__age_years=130.5),                          # maxInclusive (double)
    case(patient__age_years=250.0),                          # a double written "250.0"
    case(patient__age_years=1e20),                           # a double written "1e+20"
    case(patient__age_years=10 ** 25),                       # beyond 64-bit integers
    case(patient__age_years=[3, 4]),                         # maxCount
    {"id": "months", "patient": {"age_months": 1561}},
    {"id": "days", "patient": {"age_days": -0.5}},
    {"id": "days-string", "patient": {"age_days": "10"}},
    case(patient__sex="unknown"),                            # sh:class
    case(patient__sex=["female", "male"]),                   # maxCount + class
    case(patient__size_cm=3),                                # closed (key at the wrong level)
    case(patient__lump={"size_cm": 2}),
    case(lump__size_cm=0),                                   # minExclusive
    case(lump__size_cm=100.01),
    case(lump__size_cm="2"),
    case(lump__size_cm=[1, 2]),
    case(lump__depth="very"),
    case(lump__growth="shrinking"),
    case(lump__consistency="squishy"),
    case(lump__onset="yesterday"),
    case(lump__site=5),                                      # datatype string
    case(lump__site=["a", "b"]),
    case(lump__pain="no"),                                   # datatype boolean
    case(lump__mobile=1),
    case(lump__bleeding=[True, False]),
    case(lump__inflamed=None, lump__keratotic_projection=0),
    case(lump__age_years=40),                                # closed lump
    case(lump__pigmented_lesion={"diameter_mm": 0}),
    case(lump__pigmented_lesion={"diameter_mm": 501, "oozing": "yes", "change_in_size": 2}),
    case(lump__pigmented_lesion={"size_cm": 2}),             # closed pigmented lesion
    case(lump__pigmented_lesion=[{"oozing": True}, {"oozing": False}]),  # maxCount
    case(lump__pigmented_lesion="big"),
    {"id": "two-lumps", "patient": {"age_years": 3}, "lump": [{"size_cm": 1}, {"size_cm": 2}]},
    case(lump="a lump"),
    case(skin_markers=["hairy-patch", "purple-spot"]),        # sh:class on the list members
    case(skin_markers="hairy-patch"),                         # a single value is a one-member list
    case(skin_markers="purple-spot"),
    case(skin_markers=[]),
    case(skin_markers=[1, True, "hairy-patch"]),
    case(imaging={"ultrasound": "blurry"}),
    case(imaging={"ultrasound": ["benign", "lipoma"]}),
    case(imaging={"first_seen": "2026-01-01"}),              # closed imaging
    case(imaging="done"),
    case(imaging=[{"ultrasound": "benign"}, {"ultrasound": "lipoma"}]),
    case(clinical_concern_persists="maybe"),
    case(clinical_concern_persists=[True, False]),
    case(suspected=["gout"]),
    case(suspected="lipoma"),
    case(suspected=["lipoma", "gout", "neoplasm"]),
    case(excision_requested_for="vanity"),
    case(excision_requested_for=["cosmetic", "diagnostic-certainty"]),
    case(dates={"first_seen": "2026-13-45"}),                 # datatype date: ill-formed
    case(dates={"first_seen": "20260101", "ultrasound": "2026-02-30", "referral": "soon"}),
    case(dates={"first_seen": 20260101}),
    case(dates={"first_seen": ["2026-01-01", "2026-01-02"]}),
    case(dates={"size_cm": 2}),                               # closed dates
    case(dates="2026-01-01"),
    case(dates=[{"first_seen": "2026-01-01"}, {"referral": "2026-01-02"}]),
    case(size_cm=3, depth="deep", age_years=3),                # keys at the wrong (top) level
    case(oozing=True, patient__diameter_mm=4, lump__sex="female"),
    {"id": "everything-wrong", "patient": {"age_years": "x", "age_days": 5, "sex": "x", "oozing": 1},
     "lump": {"size_cm": -1, "depth": "x", "pain": "x", "pigmented_lesion": {"diameter_mm": "x", "pain": True}},
     "skin_markers": ["x", "hairy-patch"], "imaging": {"ultrasound": "x"}, "dates": {"first_seen": "x"},
     "suspected": ["x"], "excision_requested_for": "x", "clinical_concern_persists": 2, "referral": "x"},
]

# RDF input can say what flat JSON cannot: several values where one belongs, typed literals in
# non-canonical form (Oxigraph canonicalises them; errors must show them as written), ill-typed
# literals, knowledge-base IRIs where case nodes belong, nodes typed by the case itself.
RDF_CASES = """\
@prefix dorsum: <https://w3id.org/dorsum/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix c: <https://w3id.org/dorsum/case/> .
c:r1 a dorsum:Case ; dorsum:caseId "r1", "r1-again" ; dorsum:patient c:r1-p ; dorsum:lump c:r1-l .
c:r1-p dorsum:ageYears "0250"^^xsd:integer ; dorsum:sex dorsum:depth-deep .
c:r1-l dorsum:sizeCm "3.50"^^xsd:decimal, "+4"^^xsd:integer ; dorsum:pain "1"^^xsd:boolean, "01"^^xsd:integer ;
    dorsum:site "back"@en ; rdfs:subClassOf dorsum:Lump .
c:r2 a dorsum:Case ; dorsum:caseId "r2"^^xsd:token ; dorsum:patient c:r2-p, c:r2-q ;
    dorsum:skinMarkers ( dorsum:marker-hairy-patch "hairy-patch" dorsum:SkinMarker c:r2-m dorsum:depth-deep ) ;
    dorsum:suspected dorsum:Diagnosis, "lipoma" .
c:r2-p dorsum:ageYears "abc"^^xsd:integer, "2.0"^^xsd:double .
c:r2-q dorsum:ageDays "0010"^^xsd:integer .
c:r2-m a dorsum:SkinMarker .
c:r3 a dorsum:Case ; dorsum:caseId "r3" ; dorsum:patient dorsum:sex-female ; dorsum:lump dorsum:depth-deep ;
    dorsum:dates c:r3-d ; dorsum:imaging c:r3-i .
c:r3-d dorsum:firstSeen "2026-01-01"^^xsd:date, "2026-1-1"^^xsd:date ; dorsum:referralDate "2026-01-02" .
c:r3-i dorsum:ultrasound dorsum:ultrasound-benign, dorsum:UltrasoundResult .
c:r4 a dorsum:Case ; dorsum:caseId "" ; dorsum:patient c:r4-p .
c:r4-p dorsum:ageMonths "12.0"^^xsd:decimal ; dorsum:ageYears "1.0E0"^^xsd:double .
"""


def rdf_inputs() -> list:
    g = Graph()
    g.parse(data=RDF_CASES, format="turtle")
    return rdf_cases(g, "rdf-cases.ttl")


def inputs(cases, ctx) -> list:
    return [flat_case(c, f"case-{i}", ctx) for i, c in enumerate(cases)]


def all_inputs(ctx) -> list:
    cis = inputs(vignette_cases() + bad_input_cases() + [OK_CASE, VALID] + INVALID, ctx)
    return cis + rdf_inputs()


def test_invalid_cases_cover_every_component_used(kb, ctx, reference):
    """The hand-made list reaches every constraint component of the case shapes (as pySHACL sees it)."""
    from pyshacl import validate
    used = {COMPONENT_OF[p] for p in set(kb.case_shapes.predicates()) if p in COMPONENT_OF}
    seen = set()
    for ci in inputs(INVALID, ctx) + rdf_inputs():
        if ci.graph is None:
            continue
        data = Graph()
        data += ci.graph
        for o in set(ci.graph.objects()):
            data += reference.individual_types.triples((o, None, None))
        data += reference.individual_types.triples((None, URIRef("http://www.w3.org/2000/01/rdf-schema#subClassOf"), None))
        _, results, _ = validate(data, shacl_graph=kb.case_shapes, inference="none")
        seen |= set(results.objects(None, SH.sourceConstraintComponent))
    assert used <= seen, used - seen
    assert len(INVALID) >= 40


COMPONENT_OF = {SH.minCount: SH.MinCountConstraintComponent, SH.maxCount: SH.MaxCountConstraintComponent,
                SH.datatype: SH.DatatypeConstraintComponent, SH["class"]: SH.ClassConstraintComponent,
                SH.node: SH.NodeConstraintComponent, SH["or"]: SH.OrConstraintComponent,
                SH.xone: SH.XoneConstraintComponent, SH.closed: SH.ClosedConstraintComponent,
                SH.minInclusive: SH.MinInclusiveConstraintComponent, SH.maxInclusive: SH.MaxInclusiveConstraintComponent,
                SH.minExclusive: SH.MinExclusiveConstraintComponent, SH.minLength: SH.MinLengthConstraintComponent}


def test_each_case_alone_gives_pyshacls_errors(ctx, reference, compiled):
    cis = all_inputs(ctx)
    assert len(cis) > 140
    mismatches = [(ci.case_id, reference.validate(ci), compiled.validate(ci)) for ci in cis]
    mismatches = [m for m in mismatches if m[1] != m[2]]
    assert not mismatches, mismatches[:3]
    assert sum(1 for ci in cis if reference.validate(ci)) > 70  # most are invalid: the test has teeth


def test_cases_mixed_in_one_chunk_give_pyshacls_errors(ctx, reference, compiled):
    cis = all_inputs(ctx)
    expected = [reference.validate(ci) for ci in cis]
    assert compiled.validate_many(cis) == expected
    assert compiled.validate_many(list(reversed(cis))) == list(reversed(expected))


def test_one_thread_and_timed_validation_give_the_same_errors(ctx, reference, compiled):
    """The single-case path validates on one thread and the benchmark times each shape query (one
    after the other): the errors are the two threads' errors, and every shape query is timed."""
    from reasoner.runtime.runtime import Observer, Runtime

    class Timings(Observer):
        def shape_query_ran(self, name, seconds):
            timings[name] = timings.get(name, 0.0) + seconds

    cis = all_inputs(ctx)
    expected = [reference.validate(ci) for ci in cis]
    timings: dict = {}
    timed = CaseValidator(compiled.kb, ctx, engine="compiled", runtime=Runtime(observer=Timings()))
    assert compiled.validate_many(cis, threads=1) == expected
    assert timed.validate_many(cis) == expected
    assert len(timings) == len(compiled.compiled.queries) > 1
    assert all(name.startswith("shape ") and seconds > 0 for name, seconds in timings.items())


def test_classifier_batch_uses_one_validation_per_chunk(classifier, ctx, monkeypatch):
    calls = []
    original = classifier.validator.compiled.validate

    def counting(graphs, *a, **k):
        calls.append(len(graphs))
        return original(graphs, *a, **k)
    monkeypatch.setattr(classifier.validator.compiled, "validate", counting)
    cis = inputs(vignette_cases()[:5] + INVALID[:5], ctx)
    classifier.classify_many(cis)
    # the valid cases, and what could be read of the invalid ones (to report every error at once)
    assert len(calls) == 1 and calls[0] == sum(1 for ci in cis if not ci.errors or ci.partial is not None)


# ---------------------------------------------------------------- hypothesis: mutated cases

LEVELS = {
    "": ["id", "patient", "lump", "skin_markers", "imaging", "clinical_concern_persists", "suspected",
         "excision_requested_for", "dates"],
    "patient": ["age_years", "age_months", "age_days", "sex"],
    "lump": ["site", "size_cm", "depth", "fixed_to_deep_tissue", "growth", "consistency", "mobile", "ulceration",
             "bleeding", "pain", "onset", "pigmented", "keratotic_projection", "sun_exposed_site", "punctum",
             "inflamed", "pigmented_lesion"],
    "lump.pigmented_lesion": ["change_in_size", "irregular_shape", "irregular_colour", "inflammation", "oozing",
                              "change_in_sensation", "diameter_mm"],
    "imaging": ["ultrasound"],
    "dates": ["first_seen", "ultrasound", "referral"],
}
ALL_KEYS = sorted({k for keys in LEVELS.values() for k in keys})
WORDS = ["female", "male", "other", "superficial", "deep", "stable", "increasing", "rapid", "unknown", "soft",
         "firm", "fluctuant", "neonatal", "later", "hairy-patch", "simple-dimple", "dermal-sinus", "benign",
         "lipoma", "uncertain", "not-done", "neoplasm", "epidermoid-cyst", "cosmetic", "diagnostic-certainty",
         "2026-03-02", "2026-13-45", "20260101", "", "x", "true", "3", "purple-spot", "Neonate"]
scalars = st.one_of(st.integers(-3, 200), st.integers(-10 ** 20, 10 ** 20),
                    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([0.0, -0.0, 2.5, 100.0, 130.0, 1e-9]),
                    st.booleans(), st.sampled_from(WORDS), st.text(max_size=4))
values = st.one_of(scalars, st.lists(scalars, max_size=3),
                   st.dictionaries(st.sampled_from(ALL_KEYS), scalars, max_size=2))


@st.composite
def mutated_case(draw):
    base = draw(st.sampled_from(vignette_cases() + [VALID, OK_CASE]))
    c = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(1, 3))):
        level = draw(st.sampled_from(sorted(LEVELS)))
        node = c
        for part in filter(None, level.split(".")):
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        op = draw(st.sampled_from(["set", "set", "delete", "misplace"]))
        if op == "delete" and node:
            node.pop(draw(st.sampled_from(sorted(node))), None)
        elif op == "misplace":
            node[draw(st.sampled_from(ALL_KEYS))] = draw(scalars)
        else:
            node[draw(st.sampled_from(LEVELS[level]))] = draw(values)
    c["id"] = draw(st.sampled_from(["m-1", "m-2", "m-3"])) if draw(st.booleans()) else c.get("id", "m")
    return c


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(c=mutated_case())
def test_mutated_case_gives_pyshacls_errors(ctx, reference, compiled, c):
    ci = flat_case(c, "mutated", ctx)
    assert compiled.validate(ci) == reference.validate(ci)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(cs=st.lists(mutated_case(), min_size=2, max_size=6))
def test_mutated_cases_in_one_chunk_give_pyshacls_errors(ctx, reference, compiled, cs):
    cis = [flat_case(c, f"mutated-{i}", ctx) for i, c in enumerate(cs)]
    assert compiled.validate_many(cis) == [reference.validate(ci) for ci in cis]


# ---------------------------------------------------------------- the compiler on other components

GENERIC_SHAPES = """\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:ThingShape a sh:NodeShape ; sh:targetClass ex:Thing ; sh:message "thing" ;
    sh:property [ sh:path ex:code ; sh:pattern "^[A-Z]{2}[0-9]+$" ; sh:maxLength 6 ; sh:message "code" ] ;
    sh:property [ sh:path ex:colour ; sh:in ( "red" "green" ex:blue ) ; sh:message "colour" ] ;
    sh:property [ sh:path ex:tag ; sh:hasValue "core" ; sh:message "tag" ] ;
    sh:property [ sh:path ex:name ; sh:pattern "^ab" ; sh:flags "i" ; sh:minLength 2 ; sh:message "name" ] ;
    sh:property [ sh:path ex:link ; sh:nodeKind sh:IRI ; sh:message "link" ] ;
    sh:property [ sh:path [ sh:inversePath ex:owns ] ; sh:maxCount 1 ; sh:message "owner" ] ;
    sh:property [ sh:path [ sh:alternativePath ( ex:a ex:b ) ] ; sh:minCount 1 ; sh:message "a or b" ] ;
    sh:property [ sh:path ( ex:part [ sh:oneOrMorePath ex:sub ] ) ; sh:datatype xsd:integer ; sh:message "parts" ] ;
    sh:property [ sh:path ex:size ; sh:not [ sh:datatype xsd:string ] ; sh:and ( [ sh:minInclusive 1 ] [ sh:maxExclusive 10 ] ) ;
                  sh:message "size" ] ;
    sh:property [ sh:path ex:child ; sh:node ex:ChildShape ; sh:message "child" ] .
ex:ChildShape a sh:NodeShape ; sh:property [ sh:path ex:age ; sh:minCount 1 ] .
ex:Flagged a sh:NodeShape ; sh:targetSubjectsOf ex:flag ; sh:hasValue ex:t1 ; sh:message "flagged" .
ex:Named a sh:NodeShape ; sh:targetNode ex:t2 ; sh:property [ sh:path ex:code ; sh:minCount 1 ; sh:message "t2 code" ] .
ex:Lenient a sh:NodeShape ; sh:targetClass ex:Thing ; sh:message "lenient" ;
    sh:property [ sh:path ex:note ; sh:maxCount 0 ; sh:severity sh:Warning ; sh:message "no notes" ] .
ex:Off a sh:NodeShape ; sh:targetClass ex:Thing ; sh:deactivated true ; sh:property [ sh:path ex:code ; sh:minCount 5 ] .
"""

GENERIC_DATA = [
    """@prefix ex: <http://example.org/> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
    ex:t1 a ex:Thing ; ex:code "AB12", "ab12", "ABC123456" ; ex:colour "red", "blue", ex:blue ; ex:tag "core" ;
      ex:name "Abc", "xab", "a" ; ex:link ex:x, "x" ; ex:a 1 ; ex:part ex:p1 ; ex:size 5, 10, "3", 0.5 ;
      ex:child ex:c1, ex:c2 ; ex:flag true .
    ex:p1 ex:sub ex:p2, 7 . ex:p2 ex:sub "eight" .
    ex:o1 ex:owns ex:t1 . ex:o2 ex:owns ex:t1 . ex:c1 ex:age 3 .""",
    """@prefix ex: <http://example.org/> .
    ex:t2 a ex:Thing ; ex:flag 1 ; ex:note "n" ; ex:b ex:y .""",
    """@prefix ex: <http://example.org/> .
    ex:t3 a ex:Thing ; ex:tag "extra" ; ex:note "n" .""",
]


def _pyshacl_rows(shapes: Graph, data: Graph) -> set:
    from pyshacl import validate
    conforms, results, _ = validate(data, shacl_graph=shapes, inference="none", allow_warnings=True)
    rows = set()
    for r in results.objects(None, SH.result):
        path = results.value(r, SH.resultPath)
        head = path if isinstance(path, URIRef) or path is None else results.value(path, URIRef(
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#first"))
        rows.add((results.value(r, SH.focusNode), head, results.value(r, SH.value), str(results.value(r, SH.resultMessage)),
                  results.value(r, SH.resultSeverity)))
    return rows


def test_compiler_matches_pyshacl_on_other_components():
    shapes = Graph().parse(data=GENERIC_SHAPES, format="turtle")
    datas = [Graph().parse(data=d, format="turtle") for d in GENERIC_DATA]
    compiled = compile_shapes(shapes)
    results = compiled.validate(datas)
    for data, res in zip(datas, results):
        got = {(r.focus, r.path_head, r.value, r.message, r.severity) for r in res}
        expected = _pyshacl_rows(shapes, data)
        assert got == expected, (sorted(map(str, got - expected)), sorted(map(str, expected - got)))
    assert any(r.message == "t2 code" for r in results[1])  # a target node present in the data graph
    assert any(r.severity == SH.Warning for r in results[2])


MORE_SHAPES = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
ex:S a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:property [ sh:path ex:label ; sh:languageIn ( "en" "fr" ) ; sh:uniqueLang true ; sh:message "label" ] ;
    sh:property [ sh:path ex:a ; sh:equals ex:b ; sh:disjoint ex:c ; sh:message "a" ] ;
    sh:property [ sh:path ex:start ; sh:lessThan ex:end ; sh:message "start" ] ;
    sh:property [ sh:path ex:low ; sh:lessThanOrEquals ex:high ; sh:message "low" ] ;
    sh:property [ sh:path ex:part ; sh:qualifiedValueShape [ sh:class ex:K ] ; sh:qualifiedMinCount 2 ;
                  sh:qualifiedValueShapesDisjoint true ; sh:message "two K parts" ] ;
    sh:property [ sh:path ex:part ; sh:qualifiedValueShape [ sh:class ex:L ] ; sh:qualifiedMaxCount 1 ;
                  sh:qualifiedValueShapesDisjoint true ; sh:message "one L part" ] .
ex:N a sh:NodeShape ; sh:targetSubjectsOf ex:self ; sh:equals ex:self ; sh:message "self" .
"""
MORE_DATA = """@prefix ex: <http://example.org/> .
ex:t1 a ex:Thing ; ex:label "a"@en, "b"@en, "c"@fr, "d"@de, "e", "f"@en-GB ; ex:a 1, 2, ex:x ; ex:b 2, 3, ex:x ;
    ex:c ex:x, 9 ; ex:start 1, 5, "z" ; ex:end 3 ; ex:low 3, 4 ; ex:high 3 ; ex:self ex:t1, ex:t2 .
ex:t3 a ex:Thing ; ex:label "x"@FR, "y"@fr ; ex:a 1 ; ex:b 1 ; ex:start 2 ; ex:end 2 ; ex:low 2 ; ex:high 2 .
ex:t4 ex:self ex:t4 .
ex:t1 ex:part ex:k1, ex:k2, ex:kl, ex:l1, ex:l2 . ex:k1 a ex:K . ex:k2 a ex:K . ex:kl a ex:K, ex:L . ex:l1 a ex:L .
ex:l2 a ex:L . ex:t3 ex:part ex:k1, ex:kl, ex:l1 .
"""


def test_compiler_matches_pyshacl_on_comparison_and_language_components():
    """sh:languageIn, sh:uniqueLang, sh:equals, sh:disjoint, sh:lessThan, sh:lessThanOrEquals,
    sh:qualifiedValueShape with its counts and disjointness."""
    shapes = Graph().parse(data=MORE_SHAPES, format="turtle")
    data = Graph().parse(data=MORE_DATA, format="turtle")
    got = {(r.focus, r.path_head, r.value, r.message, r.severity) for r in compile_shapes(shapes).validate([data])[0]}
    expected = _pyshacl_rows(shapes, data)
    assert got == expected, (sorted(map(str, got - expected)), sorted(map(str, expected - got)))
    assert {m for *_x, m, _s in got} == {"label", "a", "start", "low", "self", "two K parts", "one L part"}


@pytest.mark.parametrize("constraint", ["sh:sparql [ sh:select \"SELECT $this WHERE {}\" ]",
                                        "sh:expression [ sh:path ex:q ]", "sh:target [ a sh:SPARQLTarget ]",
                                        "sh:rule [ a sh:TripleRule ]"])
def test_unsupported_component_is_refused_by_name(constraint):
    shapes = Graph().parse(data=f"""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
        ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; {constraint} ; sh:message "m" ] .""",
                           format="turtle")
    with pytest.raises(ShapeCompileError) as exc:
        compile_shapes(shapes)
    name = constraint.split()[0]
    assert name in str(exc.value) and "ex:S" in str(exc.value) and "ex:p" in str(exc.value), str(exc.value)
    assert "not supported" in str(exc.value)


def test_a_case_shape_with_an_unsupported_component_stops_the_classifier(kb_copy):
    from reasoner.pipeline import Classifier
    shapes = kb_copy / "shapes" / "case-input.ttl"
    shapes.write_text(shapes.read_text().replace(
        'sh:property [ sh:path dorsum:site ; sh:maxCount 1 ;',
        'sh:property [ sh:path dorsum:site ; sh:maxCount 1 ; sh:sparql [ sh:select "SELECT $this WHERE {}" ] ;'))
    with pytest.raises(ShapeCompileError, match=r"dorsum:LumpShape.*sh:sparql"):
        Classifier(kb_root=kb_copy)
    Classifier(kb_root=kb_copy, shacl_engine="pyshacl")  # the reference engine still runs


def test_recursive_shapes_are_refused():
    shapes = Graph().parse(data="""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
        ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:node ex:S ] .""", format="turtle")
    with pytest.raises(ShapeCompileError, match="recursive"):
        compile_shapes(shapes)


def test_the_case_shapes_compile_to_one_query_per_targeted_shape(kb):
    compiled = compile_shapes(kb.case_shapes)
    targeted = {s for p in (SH.targetClass, SH.targetObjectsOf) for s in kb.case_shapes.subjects(p, None)}
    assert {q.shape for q in compiled.queries} == targeted
    assert all("EXISTS" not in q.text for q in compiled.queries)  # Oxigraph evaluates EXISTS over the whole batch


def test_load_stores_the_same_graphs_with_either_engine(tmp_path):
    """`dorsum load --shacl-engine pyshacl` (the reference) and the default store the same graphs."""
    import pyoxigraph as ox
    from click.testing import CliRunner

    from reasoner.cli import main
    src = tmp_path / "cases.jsonl"
    src.write_text("\n".join(json.dumps(dict(c, id=f"load-{i}")) for i, c in
                             enumerate(vignette_cases()[:4] + INVALID[3:12])) + "\n")
    stored = []
    for engine in ("compiled", "pyshacl"):
        res = CliRunner().invoke(main, ["load", str(src), "--store", str(tmp_path / engine), "--shacl-engine", engine])
        assert res.exit_code == 1, res.output  # some cases are invalid
        s = ox.Store.read_only(str(tmp_path / engine))
        stored.append(sorted(str(q) for q in s if q.graph_name.value.startswith("https://w3id.org/dorsum/graph/case/")))
        del s
    assert stored[0] == stored[1] and len(stored[0]) > 100


def test_engine_skipping_unchanged_queries_derives_the_same(classifier, ctx):
    """The engine re-runs a query only when a triple it can read was derived since its last run
    (reasoner/engine/scheduler.py, store_reads), and re-runs a linear query over the triples derived since
    its last run alone (is_linear, semi-naive); with every query run over everything in every pass
    the derivations are the same: the same triples and the same rule generating each conclusion,
    alone and in a chunk."""
    import sys
    sys.path.insert(0, str(ROOT / "bench"))
    import corpus

    from reasoner.engine.fixpoint import Engine
    from reasoner.engine.scheduler import EveryQuery
    engine = classifier.engine
    cis = inputs(vignette_cases() + list(corpus.generate(120, seed=5)), ctx)
    valid = [(ci.iri, ci.graph) for ci, errs in zip(cis, classifier.validate_many(cis)) if not errs]
    assert sum(1 for r in engine.reads.values() if r is not None) > len(engine.reads) / 2
    assert {q.iri.rsplit("/", 1)[-1] for q in engine.linear} >= {"owl-rl-cax-sco", "owl-rl-prp-dom", "owl-rl-prp-rng"}
    # their variable predicates and classes are bounded by the knowledge base (store_reads)
    assert all(engine.reads[q] for q in engine.linear)
    # one at a time, as `dorsum classify` and /classify run them (the engine's stores are renewed
    # every few cases), and in a chunk
    reference = Engine(classifier.kb, classifier.runtime, scheduler=EveryQuery)
    for batch in (valid, *([c] for c in valid[:40])):
        skipping = engine.derive_batch(batch)
        every = reference.derive_batch(batch)
        for iri, _ in batch:
            assert set(skipping[iri].triples) == set(every[iri].triples), iri
            assert skipping[iri].generated_by == every[iri].generated_by, iri
