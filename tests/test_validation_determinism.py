"""Validation gives each case the same errors whatever else is in its batch, in any order and under
any hash seed (issue 14 item 8), and compares literals as RDF terms.

- rdflib turns an ill-typed "yes"^^xsd:boolean into a Literal equal to, and hashing like, a valid
  "false"^^xsd:boolean: keyed on rdflib equality, a valid case in the batch got the invalid case's
  error, or the invalid case lost it, by order and PYTHONHASHSEED. Here exactly the ill-typed case
  is invalid, with its error, in every order and in subprocesses under several hash seeds.
- Oxigraph stores "1.00"^^xsd:decimal as "1", and rewrites query constants the same way: sh:in,
  sh:hasValue, sh:minLength, sh:maxLength and sh:pattern must see the literal as written (term
  equality: "1.00"^^xsd:decimal is not in ("1.0"^^xsd:decimal)), as pySHACL does.
- A malformed shapes graph (a property shape with two sh:path values or none, sh:in not a list) is
  refused when compiled, naming the shape.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import warnings

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

from conftest import ROOT

from reasoner.case.context import load_context
from reasoner.case.intake import rdf_cases
from reasoner.namespaces import SH
from reasoner.shacl.compiler import ShapeCompileError, compile_shapes
from reasoner.shacl.validate import CaseValidator

PREFIXES = """@prefix dorsum: <https://w3id.org/dorsum/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix c: <https://w3id.org/dorsum/case/> .
"""
CASE = ('c:{id} a dorsum:Case ; dorsum:caseId "{id}" ; dorsum:patient [ dorsum:ageYears 40 ] ;\n'
        '    dorsum:lump [ dorsum:sizeCm 2.5 ; dorsum:pain "{pain}"^^xsd:boolean ; dorsum:mobile {mobile} ] .\n')
# the ill-typed case and valid cases writing the very literal rdflib turns "yes" into
BATCH = [("bad", "yes", "true"), ("ok-false", "false", "false"), ("ok-true", "true", "false"), ("ok-0", "0", "true")]
EXPECTED_BAD = [{"path": "lump.pain", "value": "false", "message": "'pain' must be true or false"}]


def batch_inputs(order, one_document: bool = True) -> list:
    """The cases of BATCH in this order, read as dorsum reads a Turtle file (one document, or one a case)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rdflib warns about the ill-typed boolean
        if one_document:
            g = Graph().parse(data=PREFIXES + "".join(CASE.format(id=i, pain=p, mobile=m) for i, p, m in
                                                      (BATCH[k] for k in order)), format="turtle")
            by_id = {ci.case_id: ci for ci in rdf_cases(g, "batch.ttl")}
            return [by_id[BATCH[k][0]] for k in order]
        return [rdf_cases(Graph().parse(data=PREFIXES + CASE.format(id=i, pain=p, mobile=m), format="turtle"),
                          f"{i}.ttl")[0] for i, p, m in (BATCH[k] for k in order)]


@pytest.fixture(scope="module")
def validators(kb):
    ctx = load_context(str(kb.paths.context))
    return CaseValidator(kb, ctx, engine="compiled"), CaseValidator(kb, ctx, engine="pyshacl")


def check(results: dict) -> None:
    assert results == {"bad": EXPECTED_BAD, "ok-false": [], "ok-true": [], "ok-0": []}, results


@pytest.mark.parametrize("one_document", [True, False])
def test_only_the_ill_typed_case_is_invalid_in_every_order(validators, one_document):
    compiled, reference = validators
    for order in itertools.permutations(range(len(BATCH))):
        cis = batch_inputs(order, one_document)
        assert all(not ci.errors for ci in cis)
        check({ci.case_id: errs for ci, errs in zip(cis, compiled.validate_many(cis))})
        check({ci.case_id: errs for ci, errs in zip(cis, compiled.validate_many(cis, threads=1))})
    check({ci.case_id: reference.validate(ci) for ci in batch_inputs(range(len(BATCH)))})  # pySHACL agrees


SCRIPT = """
import itertools, json, sys, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, {tests!r})
from test_validation_determinism import BATCH, batch_inputs
from reasoner.case.context import load_context
from reasoner.kb.knowledge_base import load_kb
from reasoner.shacl.validate import CaseValidator
kb = load_kb({root!r})
v = CaseValidator(kb, load_context(str(kb.paths.context)))
out = []
for order in [(0, 1, 2, 3), (3, 2, 1, 0), (1, 0, 3, 2), (2, 3, 0, 1)]:
    for one in (True, False):
        cis = batch_inputs(order, one)
        out.append({{ci.case_id: errs for ci, errs in zip(cis, v.validate_many(cis))}})
print(json.dumps(out, sort_keys=True))
"""


def test_the_same_errors_under_every_hash_seed():
    script = SCRIPT.format(tests=str(ROOT / "tests"), root=str(ROOT))
    outputs = {}
    for seed in ("0", "1", "2", "3", "random"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]
        outputs[seed] = proc.stdout.strip().splitlines()[-1]
    assert len(set(outputs.values())) == 1, outputs
    for results in json.loads(outputs["0"]):
        check(results)


# ---------------------------------------------------------------- literals as written, on a generic shapes graph

SHAPES = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:InShape a sh:NodeShape ; sh:targetClass ex:In ;
    sh:property [ sh:path ex:v ; sh:in ( "1.0"^^xsd:decimal ex:x "true"^^xsd:boolean ) ; sh:message "in" ] .
ex:NodeInShape a sh:NodeShape ; sh:targetObjectsOf ex:w ; sh:in ( "1.0"^^xsd:decimal ) ; sh:message "node in" .
ex:LengthShape a sh:NodeShape ; sh:targetClass ex:Length ;
    sh:property [ sh:path ex:v ; sh:maxLength 3 ; sh:message "max" ] ;
    sh:property [ sh:path ex:v ; sh:minLength 4 ; sh:message "min" ] ;
    sh:property [ sh:path ex:v ; sh:pattern "^[0-9]+[.][0-9]$" ; sh:message "pattern" ] ;
    sh:property [ sh:path ( ex:n ex:v ) ; sh:maxLength 3 ; sh:message "nested max" ] .
ex:HasShape a sh:NodeShape ; sh:targetClass ex:Has ;
    sh:property [ sh:path ex:v ; sh:hasValue "1.0"^^xsd:decimal ; sh:message "has" ] .
ex:TypedShape a sh:NodeShape ; sh:targetClass ex:Typed ;
    sh:property [ sh:path ex:b ; sh:datatype xsd:boolean ; sh:message "boolean" ] ;
    sh:property [ sh:path ex:i ; sh:datatype xsd:integer ; sh:message "integer" ] ;
    sh:property [ sh:path ex:d ; sh:datatype xsd:date ; sh:message "date" ] ;
    sh:property [ sh:path ex:y ; sh:datatype xsd:byte ; sh:message "byte" ] ;
    sh:property [ sh:path ex:n ; sh:node [ sh:datatype xsd:boolean ] ; sh:message "nested boolean" ] .
"""
DATA = [
    # written as in sh:in, and not: "1.00" and "1" are the value 1.0 but not the term "1.0"^^xsd:decimal
    """ex:a a ex:In ; ex:v "1.0"^^xsd:decimal, ex:x, true . ex:o ex:w "1.0"^^xsd:decimal .""",
    """ex:b a ex:In ; ex:v "1.00"^^xsd:decimal, "1"^^xsd:decimal, "1.0"^^xsd:double, "1"^^xsd:boolean .
       ex:o ex:w "1.00"^^xsd:decimal, "1.000"^^xsd:decimal .""",
    """ex:c a ex:In ; ex:v "1.0"^^xsd:decimal, "1.00"^^xsd:decimal .""",  # both in one graph: one result
    # lengths and patterns of the lexical form: "1.00" (4), "1.0" (3), "10.50" (5), "1" (1)
    """ex:d a ex:Length ; ex:v "1.00"^^xsd:decimal, "1.0"^^xsd:decimal, "10.50"^^xsd:decimal, "1"^^xsd:decimal ;
           ex:n [ ex:v "2.50"^^xsd:decimal, "2.5"^^xsd:decimal ] .""",
    """ex:e a ex:Has ; ex:v "1.00"^^xsd:decimal . ex:f a ex:Has ; ex:v "1.0"^^xsd:decimal .
       ex:g a ex:Has ; ex:v "1.00"^^xsd:decimal, "1.0"^^xsd:decimal .""",
    # ill-typed literals next to the valid literal rdflib makes of the boolean, in one graph and apart
    """ex:h a ex:Typed ; ex:b "yes"^^xsd:boolean ; ex:i "abc"^^xsd:integer, "0250"^^xsd:integer ;
           ex:d "2026-1-1"^^xsd:date, "2026-01-01"^^xsd:date ; ex:y "300"^^xsd:byte, "30"^^xsd:byte ;
           ex:n "maybe"^^xsd:boolean .""",
    """ex:i a ex:Typed ; ex:b false ; ex:n false .""",
    """ex:j a ex:Typed ; ex:b false ; ex:n "no"^^xsd:boolean . ex:k a ex:Typed ; ex:b "nope"^^xsd:boolean .""",
]


def pyshacl_rows(shapes: Graph, data: Graph) -> set:
    from pyshacl import validate
    _, report, _ = validate(data, shacl_graph=shapes, inference="none", allow_warnings=True)
    return {(report.value(r, SH.focusNode), report.value(r, SH.value), str(report.value(r, SH.resultMessage)))
            for r in report.objects(None, SH.result)}


def rows(results) -> set:
    return {(r.focus, r.value, r.message) for r in results}


def key(row):
    """A row with its literals as exact keys (rdflib's == merges "yes"^^xsd:boolean with false)."""
    return tuple((str(t), str(t.datatype), t.ill_typed) if isinstance(t, Literal) else t for t in row)


def parse(text: str) -> Graph:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Graph().parse(data="@prefix ex: <http://example.org/> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
                             + text, format="turtle")


def test_literals_are_compared_as_written_as_pyshacl_does():
    shapes = Graph().parse(data=SHAPES, format="turtle")
    datas = [parse(d) for d in DATA]
    compiled = compile_shapes(shapes)
    expected = [{key(r) for r in pyshacl_rows(shapes, d)} for d in datas]
    for order in (list(range(len(datas))), list(reversed(range(len(datas))))):
        got = compiled.validate([datas[i] for i in order])
        for i, res in zip(order, got):
            assert {key(r) for r in rows(res)} == expected[i], (i, sorted(map(str, rows(res))))
    # alone, each graph gives the same
    for d, exp in zip(datas, expected):
        assert {key(r) for r in rows(compiled.validate([d])[0])} == exp
    # the figures pySHACL and the compiled validator agree on are SHACL's answers
    ex, dec = "http://example.org/", XSD.decimal
    b, c, d, e, g = (rows(r) for r in (compiled.validate([datas[i]])[0] for i in (1, 2, 3, 4, 5)))
    # ("1"^^xsd:boolean passes: rdflib reads it as "true", the lexical form every parse here gives it)
    assert {v for _f, v, m in b if m == "in"} == {Literal("1.00", datatype=dec), Literal("1", datatype=dec),
                                                   Literal("1.0", datatype=XSD.double)}
    assert {str(v) for _f, v, m in b if m == "node in"} == {"1.00", "1.000"}
    assert c == {(URIRef(ex + "c"), Literal("1.00", datatype=dec), "in")}
    assert {(str(v), m) for _f, v, m in d} == {("1.00", "max"), ("10.50", "max"), ("1.0", "min"), ("1", "min"),
                                               ("1.00", "pattern"), ("10.50", "pattern"), ("1", "pattern"),
                                               ("2.50", "nested max")}
    assert {str(f) for f, _v, _m in e} == {ex + "e"}
    assert {(str(v), m) for _f, v, m in g if m != "nested boolean"} == {
        ("false", "boolean"), ("abc", "integer"), ("2026-1-1", "date"), ("300", "byte")}


def test_an_ill_typed_boolean_is_not_the_valid_false_of_another_graph():
    """sh:datatype on ill-typed literals: exactly the ill-typed values fail, wherever the valid
    literal rdflib makes of them occurs."""
    shapes = Graph().parse(data=SHAPES, format="turtle")
    datas = [parse(d) for d in DATA[5:]]
    for order in itertools.permutations(range(len(datas))):
        got = dict(zip(order, compile_shapes(shapes).validate([datas[i] for i in order])))
        assert not got[1]                                       # ex:i: false, false
        assert {(str(f), m) for f, _v, m in rows(got[2])} == {("http://example.org/j", "nested boolean"),
                                                              ("http://example.org/k", "boolean")}
        assert {m for _f, _v, m in rows(got[0])} == {"boolean", "integer", "date", "byte", "nested boolean"}


# ---------------------------------------------------------------- malformed shapes are refused

@pytest.mark.parametrize("shape, words", [
    ("ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p, ex:q ; sh:minCount 1 ] .",
     ["2 sh:path", "ex:p and ex:q", "ex:S"]),
    ("ex:P a sh:PropertyShape ; sh:targetClass ex:C ; sh:path ex:p, ex:q ; sh:datatype ex:d .", ["2 sh:path", "ex:P"]),
    ("ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:minCount 1 ] .", ["without sh:path", "ex:S"]),
    ("ex:P a sh:PropertyShape ; sh:targetClass ex:C ; sh:minCount 1 .", ["without sh:path", "ex:P"]),
    ("ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:in ex:list ] .",
     ["not a well-formed RDF list", "ex:p", "ex:S"]),
    ("ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:in \"a\" .", ["not a well-formed RDF list", "ex:S"]),
    ("ex:U a sh:NodeShape ; sh:property [ sh:path ex:p, ex:q ] .", ["2 sh:path", "ex:U"]),  # not even targeted
])
def test_malformed_shapes_are_refused_naming_the_shape(shape, words):
    shapes = Graph().parse(data="@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .\n"
                           + shape, format="turtle")
    with pytest.raises(ShapeCompileError) as exc:
        compile_shapes(shapes)
    assert all(w in str(exc.value) for w in words), str(exc.value)
