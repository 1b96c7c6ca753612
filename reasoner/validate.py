"""Validate a case graph against the case shapes (pySHACL), before any inference.

Each SHACL result becomes an error a person can act on: the JSON path of the offending key (from
the shipped context, so a key misplaced at the wrong level shows where it really is), the value as
the user wrote it, and the shape's sh:message. Validation sees only the asserted case plus the
types of the knowledge base's named individuals (so sh:class can check enumerated values); it
never sees inferred triples, which could hide a violation.
"""

from __future__ import annotations

from functools import cached_property

from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF

from .context import CaseContext
from .intake import CaseInput, error
from .namespaces import SH


class CaseValidator:
    def __init__(self, kb, ctx: CaseContext):
        self.kb = kb
        self.ctx = ctx

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
        case = URIRef(ci.iri)
        errors = {}
        for res in results.subjects(RDF.type, SH.ValidationResult):
            focus = results.value(res, SH.focusNode)
            rpath = results.value(res, SH.resultPath)
            value = results.value(res, SH.value)
            msgs = sorted(str(m) for m in results.objects(res, SH.resultMessage))
            base = self.node_path(ci.graph, focus, case)
            if isinstance(rpath, URIRef):
                key = self.key_of.get(str(rpath), str(rpath))
            elif rpath is not None:  # a sequence path: name it by its first step
                first = results.value(rpath, RDF.first)
                key = self.key_of.get(str(first), str(first))
            else:
                key = None
            path = ".".join(x for x in (base, key) if x)
            shown = None if value == focus and rpath is None else self.show(value)
            e = error(path, shown, msgs[0] if msgs else "does not conform to the case shapes")
            errors[(e["path"], e["message"], str(e["value"]))] = e
        return [errors[k] for k in sorted(errors)]
