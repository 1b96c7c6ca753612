"""Reading the knowledge-base graph for the pages: labels, local names, anchors, instances and types.
Several labels for one term are picked from in a stable order, so the pages are reproducible."""

from __future__ import annotations

import re

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS


def _en_first(values):
    """Literals sorted English first, then by text: one stable pick among several labels."""
    return sorted(values, key=lambda v: (getattr(v, "language", None) not in ("en", None), str(v)))


def label(g: Graph, node) -> str:
    vals = _en_first(g.objects(node, RDFS.label))
    if vals:
        return str(vals[0])
    return local(node)


def local(node) -> str:
    s = str(node)
    return re.split(r"[/#]", s.rstrip("/"))[-1] or s


def first(g: Graph, s, p):
    vals = _en_first(g.objects(s, p))
    return vals[0] if vals else None


def text(g: Graph, s, p) -> str:
    """The first value of s p as text, or the empty string."""
    value = first(g, s, p)
    return str(value) if value is not None else ""


def texts(g: Graph, s, p) -> list[str]:
    """Every value of s p, as text (labels for IRIs), sorted."""
    return sorted(label(g, o) if isinstance(o, URIRef) else str(o) for o in g.objects(s, p))


def subclasses(g: Graph, cls) -> set:
    """cls and every class below it (rdfs:subClassOf*)."""
    return set(g.transitive_subjects(RDFS.subClassOf, cls))


def instances(g: Graph, cls) -> list:
    return sorted({s for c in subclasses(g, cls) for s in g.subjects(RDF.type, c) if isinstance(s, URIRef)}, key=str)


def types(g: Graph, node) -> set:
    """The asserted types of node and their superclasses."""
    out = set()
    for t in g.objects(node, RDF.type):
        out |= set(g.transitive_objects(t, RDFS.subClassOf))
    return out


def anchor(node) -> str:
    """The id of a term's entry on a page: its local name, with anything but [A-Za-z0-9_-] as '-'."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", local(node))
