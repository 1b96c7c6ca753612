"""Compile OWL defined classes over data ranges into SPARQL CONSTRUCT rules.

OWL 2 RL cannot classify an individual into `C == B and (p some D[facets])` (datatype restrictions
are outside the RL profile), yet that is how the ontology defines age groups, so a reasoner can
classify a patient from the age alone. This module translates exactly that OWL pattern, generically
(named classes, someValuesFrom over a data range, and data ranges built from facets, intersectionOf,
unionOf and datatypeComplementOf, through named datatypes), into one CONSTRUCT per class. HermiT
checks the same axioms in `dorsum check`, and a test compares the two on boundary ages.
"""

from __future__ import annotations

import re

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, XSD

NUMERIC = {XSD.decimal, XSD.integer, XSD.double, XSD.float, XSD.nonNegativeInteger}
FACETS = {XSD.minInclusive: ">=", XSD.minExclusive: ">", XSD.maxInclusive: "<=", XSD.maxExclusive: "<"}


class Unsupported(ValueError):
    """An OWL construct this compiler does not translate (the class is then left to HermiT)."""


def _iri(term) -> str:
    """`<iri>`, for an IRI that SPARQL's IRIREF can hold as it is. rdflib's Turtle parser accepts
    escapes that make any character (`<http://a\\u003E ...>`), and such an IRI written into the query
    text would end the IRI and write query syntax (a SERVICE clause, say)."""
    text = str(term)
    if re.search(r'[\x00-\x20<>"{}|^`\\]', text):
        raise Unsupported(f"IRI {text!r} cannot be written in SPARQL")
    return f"<{text}>"


def _lit(lit) -> str:
    if not isinstance(lit, Literal):
        raise Unsupported(f"facet value {lit!r} is not a literal")
    return lit.n3()


def data_range_filter(g: Graph, rng, var: str, depth: int = 0) -> str:
    if depth > 20:
        raise Unsupported("data range nests too deeply")
    if isinstance(rng, URIRef):
        if rng in NUMERIC:
            return f"isNumeric({var})"
        eq = g.value(rng, OWL.equivalentClass)
        if eq is None:
            raise Unsupported(f"named data range {rng} has no definition")
        return data_range_filter(g, eq, var, depth + 1)
    base = g.value(rng, OWL.onDatatype)
    if base is not None:
        parts = [data_range_filter(g, base, var, depth + 1)]
        for facet_node in Collection(g, g.value(rng, OWL.withRestrictions)):
            for facet, value in g.predicate_objects(facet_node):
                if facet not in FACETS:
                    raise Unsupported(f"facet {facet} is not supported")
                parts.append(f"{var} {FACETS[facet]} {_lit(value)}")
        return "(" + " && ".join(parts) + ")"
    for op, joiner in ((OWL.intersectionOf, " && "), (OWL.unionOf, " || ")):
        lst = g.value(rng, op)
        if lst is not None:
            return "(" + joiner.join(data_range_filter(g, m, var, depth + 1) for m in Collection(g, lst)) + ")"
    comp = g.value(rng, OWL.datatypeComplementOf)
    if comp is not None:
        return f"(!{data_range_filter(g, comp, var, depth + 1)})"
    raise Unsupported(f"data range {rng} is not supported")


def compile_class(g: Graph, cls: URIRef, expr) -> str:
    lst = g.value(expr, OWL.intersectionOf)
    if lst is None:
        raise Unsupported("only intersections are compiled")
    patterns, filters = [], []
    for i, member in enumerate(Collection(g, lst)):
        if isinstance(member, URIRef):
            patterns.append(f"?x a {_iri(member)} .")
            continue
        prop, rng = g.value(member, OWL.onProperty), g.value(member, OWL.someValuesFrom)
        if prop is None or rng is None or (prop, RDF.type, OWL.DatatypeProperty) not in g:
            raise Unsupported("only someValuesFrom restrictions on datatype properties are compiled")
        patterns.append(f"?x {_iri(prop)} ?v{i} .")
        filters.append(data_range_filter(g, rng, f"?v{i}"))
    body = " ".join(patterns) + "".join(f" FILTER {f}" for f in filters)
    return f"CONSTRUCT {{ ?x a {_iri(cls)} }} WHERE {{ {body} }}"


def compile_defined_classes(g: Graph) -> list[tuple[str, str]]:
    """(class IRI, CONSTRUCT) for every defined class that uses a data range, sorted by IRI."""
    out = []
    for cls, expr in g.subject_objects(OWL.equivalentClass):
        if not isinstance(cls, URIRef) or (cls, RDF.type, OWL.Class) not in g:
            continue
        try:
            query = compile_class(g, cls, expr)
        except Unsupported:
            continue
        if "FILTER" in query:
            out.append((str(cls), query))
    return sorted(out)
