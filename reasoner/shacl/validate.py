"""Validate case graphs against the case shapes, before any inference.

Each SHACL result becomes an error a person can act on: the JSON path of the offending key (from
the shipped context, so a key misplaced at the wrong level shows where it really is), the value as
the user wrote it, and the shape's sh:message. Validation sees only the asserted case plus the
types of the knowledge base's named individuals (so sh:class can check enumerated values); it
never sees inferred triples, which could hide a violation.

Two engines give the same errors (tests/test_shacl_compiled.py): "compiled" (the default) runs the
case shapes compiled to SPARQL (reasoner/shacl/compiler.py) over a whole batch of cases in one
Oxigraph store; "pyshacl" runs pySHACL on each case, the reference.
"""

from __future__ import annotations

from functools import cached_property

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from ..case.context import CaseContext
from ..errors import DorsumError
from ..case.intake import CaseInput, error
from ..namespaces import SH
from ..runtime.runtime import Runtime
from .compiler import compile_shapes
from ..terms import to_ox

ENGINES = ("compiled", "pyshacl")
NO_MESSAGE = "does not conform to the case shapes"


class CaseValidator:
    def __init__(self, kb, ctx: CaseContext, engine: str = "compiled", runtime: Runtime | None = None):
        if engine not in ENGINES:
            raise DorsumError(f"unknown SHACL engine {engine!r}; expected one of {', '.join(ENGINES)}")
        self.kb = kb
        self.ctx = ctx
        self.engine = engine
        self.runtime = runtime if runtime is not None else Runtime()
        if engine == "compiled":
            self.compiled  # noqa: B018 - compile now: a shape it cannot compile is an error at start-up

    @cached_property
    def compiled(self):
        """The case shapes as SPARQL (raises a clear error for a constraint it cannot compile)."""
        return compile_shapes(self.kb.case_shapes, self.runtime)

    @cached_property
    def kb_additions(self) -> dict:
        """Enumerated value IRI -> the triples its use adds to a case's data graph: its types and
        their superclasses (as pyoxigraph Triples), exactly what `validate` adds for pySHACL."""
        types = self.individual_types
        out = {}
        for o in set(types.subjects(RDF.type, None)):
            triples = set()
            for t in types.objects(o, RDF.type):
                triples.add((o, RDF.type, t))
                for sup in types.transitive_objects(t, RDFS.subClassOf):
                    if sup != t:
                        triples.add((t, RDFS.subClassOf, sup))
            out[o] = [ox.Triple(to_ox(s), to_ox(p), to_ox(x)) for s, p, x in sorted(triples)]
        return out

    @cached_property
    def individual_types(self) -> Graph:
        """rdf:type triples of the knowledge base's named individuals (enumerated values)."""
        g = Graph()
        named = set(self.kb.graph.subjects(RDF.type, OWL.NamedIndividual))
        for s in named:
            for o in self.kb.graph.objects(s, RDF.type):
                g.add((s, RDF.type, o))
        # sh:class follows rdfs:subClassOf in the data graph
        for s, o in self.kb.graph.subject_objects(URIRef("http://www.w3.org/2000/01/rdf-schema#subClassOf")):
            if isinstance(o, URIRef):
                g.add((s, URIRef("http://www.w3.org/2000/01/rdf-schema#subClassOf"), o))
        return g

    @cached_property
    def key_of(self) -> dict[str, str]:
        """Property IRI -> the JSON key that writes it."""
        return {iri: key for iri, (key, _term) in self.ctx.key_of_property.items()}

    def node_path(self, graph: Graph, node, case) -> str:
        parts = []
        seen = set()
        while node != case and node not in seen:
            seen.add(node)
            parent = next(iter(sorted(graph.subject_predicates(node), key=lambda sp: str(sp[1]))), None)
            if parent is None:
                break
            s, p = parent
            if p not in (RDF.rest, RDF.first):
                parts.append(self.key_of.get(str(p), str(p)))
            node = s
        return ".".join(reversed(parts))

    def show(self, value):
        if value is None:
            return None
        if isinstance(value, Literal):
            return str(value)
        if isinstance(value, URIRef):
            return self.ctx.slug(str(value))
        return str(value)

    def validate(self, ci: CaseInput) -> list[dict]:
        """The errors of one case ([] when it conforms or has no graph)."""
        return self.validate_many([ci])[0]

    def validate_many(self, inputs: list[CaseInput], prepared: list | None = None,
                      threads: int = 2) -> list[list[dict]]:
        """The errors of each case, in order; the compiled engine validates them all at once.
        prepared[i], when given, is (rdflib triples, pyoxigraph triples) of inputs[i]'s graph;
        threads, how many threads the compiled engine's queries may use."""
        if self.engine == "pyshacl":
            return [self._validate_pyshacl(ci) for ci in inputs]
        out = []
        for ci, res in zip(inputs, self.results_many(inputs, prepared, threads)):
            if res is None or all(r.severity in (SH.Warning, SH.Info) for r in res):
                out.append([])  # no graph, or conforms (warnings alone do not make a case invalid)
                continue
            out.append(self._errors(ci, [(r.focus, r.result_path, r.path_head, r.value, r.message) for r in res]))
        return out

    def results_many(self, inputs: list[CaseInput], prepared: list | None = None,
                     threads: int = 2) -> list[list | None]:
        """The compiled validator's SHACL results of each case (shacl.compiled.Result: focus node,
        path, value, messages, severity, source shape, component), None for a case without a graph."""
        if prepared is None:
            prepared = [None if ci.graph is None else (list(ci.graph), None) for ci in inputs]
        todo = [p for ci, p in zip(inputs, prepared) if ci.graph is not None]
        if not todo:
            return [None for _ in inputs]
        additions = self.kb_additions
        extra = []
        for triples, _ in todo:
            objs = {o for _s, _p, o in triples if isinstance(o, URIRef)}
            extra.append([t for o in sorted(objs) for t in additions.get(o, ())])
        converted = None if any(c is None for _, c in todo) else [c for _, c in todo]
        results = iter(self.compiled.validate([t for t, _ in todo], extra, converted, threads))
        return [None if ci.graph is None else list(next(results)) for ci in inputs]

    def report_graph(self, ci: CaseInput, errors: list[dict], results: list | None) -> Graph:
        """A standard sh:ValidationReport for one case (as pySHACL's command line writes), named
        <case>/validation-report: each SHACL result with its focus node, path, value, severity,
        source shape, component and message, plus dorsum:jsonPath where the input form names it.
        Errors found before the shapes ran (unreadable input, unknown keys) are results of the
        component dorsum:IntakeConstraintComponent, focused on the case."""
        from rdflib import BNode, Literal
        from rdflib.namespace import XSD

        from ..namespaces import DORSUM

        g = Graph()
        g.bind("sh", SH)
        g.bind("dorsum", DORSUM)
        focus_case = URIRef(ci.iri) if ci.iri else Literal(ci.source)
        report = URIRef(f"{ci.iri}/validation-report") if ci.iri else BNode()
        g.add((report, RDF.type, SH.ValidationReport))
        g.add((report, SH.conforms, Literal(not errors, datatype=XSD.boolean)))
        def result(focus, severity, component, path: str | None):
            r = BNode()
            g.add((report, SH.result, r))
            g.add((r, RDF.type, SH.ValidationResult))
            g.add((r, SH.focusNode, focus))
            g.add((r, SH.resultSeverity, severity))
            g.add((r, SH.sourceConstraintComponent, component))
            if path:
                g.add((r, DORSUM.jsonPath, Literal(path)))
            return r

        for e in ci.errors:
            r = result(focus_case, SH.Violation, DORSUM.IntakeConstraintComponent, e.get("path"))
            g.add((r, SH.resultMessage, Literal(e["message"])))
            if e.get("value") is not None:
                g.add((r, SH.value, Literal(str(e["value"]))))
        if not results or ci.graph is None:
            return g
        reported = {(e["path"], e["message"]) for e in errors}  # what the case's errors kept of the results
        shapes = self.kb.case_shapes
        for res in results:
            path = self.json_path(ci, res.focus, res.result_path, res.path_head)
            if res.severity == SH.Violation and (path, res.message or NO_MESSAGE) not in reported:
                continue
            r = result(res.focus, res.severity, res.component, path)
            if res.source_shape is not None:
                g.add((r, SH.sourceShape, res.source_shape))
                if isinstance(res.source_shape, BNode):
                    g += _reachable(shapes, res.source_shape, shallow=True)
            if res.result_path is not None:
                g.add((r, SH.resultPath, res.result_path))
                if isinstance(res.result_path, BNode):
                    g += _reachable(shapes, res.result_path)
            if res.value is not None:
                g.add((r, SH.value, res.value))
            for m in res.messages:
                g.add((r, SH.resultMessage, Literal(m)))
        return g

    def json_path(self, ci: CaseInput, focus, result_path, head) -> str:
        """Where a result points in the input's own form: the focus node's path, then the key of
        the result path's first step (`lump.depth`)."""
        base = self.node_path(ci.graph, focus, URIRef(ci.iri))
        key = None if result_path is None else self.key_of.get(str(head), str(head))
        return ".".join(x for x in (base, key) if x)

    def _errors(self, ci: CaseInput, results) -> list[dict]:
        """(focus, result path, its head IRI, value, message) per result -> sorted, deduplicated errors."""
        errors = {}
        for focus, rpath, head, value, msg in results:
            path = self.json_path(ci, focus, rpath, head)
            shown = None if value == focus and rpath is None else self.show(value)
            e = error(path, shown, msg or NO_MESSAGE)
            errors[(e["path"], e["message"], str(e["value"]))] = e
        return [errors[k] for k in sorted(errors)]

    def _validate_pyshacl(self, ci: CaseInput) -> list[dict]:
        from pyshacl import validate

        if ci.graph is None:
            return []
        data = Graph()
        data += ci.graph
        types = self.individual_types
        for o in set(ci.graph.objects()):  # only the enumerated values this case uses, and their classes
            if isinstance(o, URIRef):
                for t in types.objects(o, RDF.type):
                    data.add((o, RDF.type, t))
                    for sup in types.transitive_objects(t, URIRef("http://www.w3.org/2000/01/rdf-schema#subClassOf")):
                        data.add((t, URIRef("http://www.w3.org/2000/01/rdf-schema#subClassOf"), sup)) if sup != t else None
        conforms, results, _ = validate(data, shacl_graph=self.kb.case_shapes, inference="none",
                                        allow_warnings=True)
        if conforms:
            return []
        rows = []
        # the report's own results; pySHACL also types the nested sh:detail results of an sh:node
        # failure as sh:ValidationResult, which would repeat the error in generic wording
        for res in results.objects(None, SH.result):
            focus = results.value(res, SH.focusNode)
            rpath = results.value(res, SH.resultPath)
            msgs = sorted(str(m) for m in results.objects(res, SH.resultMessage))
            # a sequence path is named by its first step
            head = rpath if isinstance(rpath, URIRef) or rpath is None else results.value(rpath, RDF.first)
            rows.append((focus, rpath, head, results.value(res, SH.value), msgs[0] if msgs else None))
        return self._errors(ci, rows)


def _reachable(g: Graph, node, shallow: bool = False) -> Graph:
    """The triples about a blank node of the shapes graph and the blank nodes under it (a path's
    RDF list, an anonymous shape's sh:path), so the report can be read without the shapes."""
    from rdflib import BNode

    out, todo, seen = Graph(), [node], set()
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        for p, o in g.predicate_objects(n):
            if shallow and p not in (SH.path,):
                continue
            out.add((n, p, o))
            if isinstance(o, BNode):
                todo.append(o)
        shallow = False
    return out
