"""Validate case graphs against the case shapes, before any inference.

Each SHACL result becomes an error a person can act on: the JSON path of the offending key (from
the shipped context, so a key misplaced at the wrong level shows where it really is), the value as
the user wrote it, and the shape's sh:message. Validation sees only the asserted case plus the
types of the knowledge base's named individuals (so sh:class can check enumerated values); it
never sees inferred triples, which could hide a violation.

Two engines give the same errors (tests/test_shacl_compiled.py): "compiled" (the default) runs the
case shapes compiled to SPARQL (reasoner/shacl_compile.py) over a whole batch of cases in one
Oxigraph store; "pyshacl" runs pySHACL on each case, the reference.
"""

from __future__ import annotations

from functools import cached_property

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from .context import CaseContext
from .errors import DorsumError
from .intake import CaseInput, error
from .namespaces import SH
from .shacl_compile import compile_shapes
from .terms import to_ox

ENGINES = ("compiled", "pyshacl")
NO_MESSAGE = "does not conform to the case shapes"


class CaseValidator:
    def __init__(self, kb, ctx: CaseContext, engine: str = "compiled"):
        if engine not in ENGINES:
            raise DorsumError(f"unknown SHACL engine {engine!r}; expected one of {', '.join(ENGINES)}")
        self.kb = kb
        self.ctx = ctx
        self.engine = engine
        if engine == "compiled":
            self.compiled  # noqa: B018 - compile now: a shape it cannot compile is an error at start-up

    @cached_property
    def compiled(self):
        """The case shapes as SPARQL (raises a clear error for a constraint it cannot compile)."""
        return compile_shapes(self.kb.case_shapes)

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
        out: dict[str, str] = {}
        prefixes = {"dorsum": "https://w3id.org/dorsum/", "xsd": "http://www.w3.org/2001/XMLSchema#"}

        def walk(ctx):
            for key, val in ctx.items():
                if key.startswith("@") or not isinstance(val, dict) or "@id" not in val:
                    continue
                pre, _, local = val["@id"].partition(":")
                out.setdefault(prefixes.get(pre, pre + ":") + local, key)
                if isinstance(val.get("@context"), dict):
                    walk(val["@context"])
        walk(self.ctx.context)
        return out

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
                      threads: int = 2, timings: dict | None = None) -> list[list[dict]]:
        """The errors of each case, in order; the compiled engine validates them all at once.
        prepared[i], when given, is (rdflib triples, pyoxigraph triples) of inputs[i]'s graph;
        threads, how many threads the compiled engine's queries may use; timings, see
        CompiledShapes.validate."""
        if self.engine == "pyshacl":
            return [self._validate_pyshacl(ci) for ci in inputs]
        if prepared is None:
            prepared = [None if ci.graph is None else (list(ci.graph), None) for ci in inputs]
        todo = [p for ci, p in zip(inputs, prepared) if ci.graph is not None]
        if not todo:
            return [[] for _ in inputs]
        additions = self.kb_additions
        extra = []
        for triples, _ in todo:
            objs = {o for _s, _p, o in triples if isinstance(o, URIRef)}
            extra.append([t for o in sorted(objs) for t in additions.get(o, ())])
        converted = None if any(c is None for _, c in todo) else [c for _, c in todo]
        results = iter(self.compiled.validate([t for t, _ in todo], extra, converted, threads, timings))
        out = []
        for ci in inputs:
            if ci.graph is None:
                out.append([])
                continue
            res = next(results)
            if all(r.severity in (SH.Warning, SH.Info) for r in res):
                out.append([])  # conforms (warnings alone do not make a case invalid)
                continue
            out.append(self._errors(ci, [(r.focus, r.result_path, r.path_head, r.value, r.message) for r in res]))
        return out

    def _errors(self, ci: CaseInput, results) -> list[dict]:
        """(focus, result path, its head IRI, value, message) per result -> sorted, deduplicated errors."""
        case = URIRef(ci.iri)
        errors = {}
        for focus, rpath, head, value, msg in results:
            base = self.node_path(ci.graph, focus, case)
            key = None if rpath is None else self.key_of.get(str(head), str(head))
            path = ".".join(x for x in (base, key) if x)
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
