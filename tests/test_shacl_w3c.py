"""The W3C SHACL core test suite (tests/w3c-shacl-core/, vendored unchanged; see its README.md and
LICENSE.md) run against the compiled validator (reasoner/shacl/compiler.py).

Every sht:Validate entry of the manifests (mf:include followed from manifest.ttl) either passes or
is refused by the compiler with an error saying which construct it does not support; none may give
a wrong answer. A test passes when sh:conforms and the set of results -- (focus node, result path,
value, source shape, source constraint component, severity) -- equal the expected report's.
A result path is compared as the property path it denotes; other blank nodes by structure, as the suite's implementations do: a blank node stands for
the triples it is the subject of (recursively, so a property shape or a path is compared by its
content), whichever graph it was read from. A refused test is skipped naming the construct, and
test_the_refused_tests_are_the_recorded_ones fails on a new refusal (or a refusal that went away).
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from pathlib import Path

import pytest
import rdflib
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF

from reasoner.namespaces import SH
from reasoner.shacl.compiler import ShapeCompileError, _Compiler, compile_shapes

SUITE = Path(__file__).resolve().parent / "w3c-shacl-core"
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
SHT = "http://www.w3.org/ns/shacl-test#"

# test (its IRI relative to the suite directory) -> the construct the compiler refuses in it
REFUSED: dict[str, str] = {}  # none at ff9edb9: the compiler supports every construct the suite uses


@lru_cache(maxsize=None)
def parsed(path: str) -> Graph:
    """Each file read once: a test whose data, shapes and manifest are one file sees one graph.
    Literals keep their lexical forms (rdflib would rewrite "1"^^xsd:boolean to "true", and the
    suite tells the two apart: property/uniqueLang-002)."""
    normalize = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # rdflib warns about the suite's ill-typed literals
            return Graph().parse(path, format="turtle", publicID=Path(path).as_uri())
    finally:
        rdflib.NORMALIZE_LITERALS = normalize


def file_of(iri) -> str:
    return str(iri).split("#", 1)[0].replace("file://", "", 1)


def manifests(path: Path) -> list[Path]:
    out, todo, seen = [], [path], set()
    while todo:
        p = todo.pop(0)
        if p in seen:
            continue
        seen.add(p)
        out.append(p)
        g = parsed(str(p))
        todo += sorted(Path(file_of(i)) for i in g.objects(None, URIRef(MF + "include")))
    return out


def validate_tests() -> list[tuple[str, Graph, object]]:
    """(name, manifest graph, test node) of every sht:Validate entry."""
    out = []
    for m in manifests(SUITE / "manifest.ttl"):
        g = parsed(str(m))
        for lst in g.objects(None, URIRef(MF + "entries")):
            for test in Collection(g, lst):
                if (test, RDF.type, URIRef(SHT + "Validate")) in g:
                    name = str(test).replace(SUITE.as_uri() + "/", "")
                    out.append((name, g, test))
    return sorted(out, key=lambda t: t[0])


TESTS = validate_tests()


def describe(term, g: Graph, depth: int = 0):
    """A term for comparison: a blank node becomes the (sorted) set of its triples, recursively."""
    if not isinstance(term, BNode):
        return term
    if depth > 6:
        return "_:deep"
    return ("_:", tuple(sorted(((p, describe(o, g, depth + 1)) for p, o in g.predicate_objects(term)), key=repr)))


def path_of(node, g: Graph):
    """A result path for comparison: an IRI, or the property path it is (as SPARQL), so that a
    path node with extra triples (path/path-strange-*) compares as the path it stands for."""
    if node is None or isinstance(node, URIRef):
        return node
    return ("path", _Compiler(g).sparql_path(node))


def expected_report(g: Graph, test) -> tuple[bool, set]:
    report = g.value(test, URIRef(MF + "result"))
    conforms = g.value(report, SH.conforms)
    rows = set()
    for r in g.objects(report, SH.result):
        rows.add((describe(g.value(r, SH.focusNode), g), path_of(g.value(r, SH.resultPath), g),
                  *(describe(g.value(r, p), g) for p in (SH.value, SH.sourceShape, SH.sourceConstraintComponent,
                                                         SH.resultSeverity))))
    return bool(conforms.toPython()) if isinstance(conforms, Literal) else None, rows


def run(g: Graph, test) -> tuple[bool, set]:
    """Compile the test's shapes and validate its data graph: (conforms, results as rows)."""
    action = g.value(test, URIRef(MF + "action"))
    data = parsed(file_of(g.value(action, URIRef(SHT + "dataGraph"))))
    shapes = parsed(file_of(g.value(action, URIRef(SHT + "shapesGraph"))))
    results = compile_shapes(shapes).validate([data])[0]
    rows = {(describe(r.focus, data), path_of(r.result_path, shapes), describe(r.value, data),
             describe(r.source_shape, shapes), r.component, r.severity) for r in results}
    return not results, rows


@pytest.mark.parametrize("name, g, test", TESTS, ids=[t[0] for t in TESTS])
def test_w3c_shacl_core(name, g, test):
    try:
        conforms, rows = run(g, test)
    except ShapeCompileError as exc:
        assert "not supported" in str(exc), f"{name}: refused, but not as unsupported: {exc}"
        pytest.skip(f"refused by the compiler: {exc}")
    expected_conforms, expected_rows = expected_report(g, test)
    assert conforms == expected_conforms, name
    assert rows == expected_rows, (name, sorted(map(repr, rows - expected_rows)), sorted(map(repr, expected_rows - rows)))


def test_the_refused_tests_are_the_recorded_ones():
    refused = {}
    for name, g, test in TESTS:
        try:
            run(g, test)
        except ShapeCompileError as exc:
            refused[name] = str(exc)
    assert set(refused) == set(REFUSED), (sorted(set(refused) - set(REFUSED)), sorted(set(REFUSED) - set(refused)))
    for name, construct in REFUSED.items():
        assert construct in refused[name] and "not supported" in refused[name], (name, refused[name])
    assert len(TESTS) == 98  # the suite as vendored at ff9edb9
