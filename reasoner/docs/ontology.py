"""The ontology reference (ontology.html), made by pyLODE's OntPub profile from a graph built for it.

pyLODE takes every owl:Ontology, skos:ConceptScheme and prof:Profile in its input for the document's
header (3.6 also sh:ShapesGraph, for its namespace): the page's <title> is the last title it meets
among them and its metadata merges them all. The knowledge base has one owl:Ontology and a
skos:ConceptScheme per value set, so pyLODE is given the ontology with exactly one header instead
(`pylode_graph`). It gets a Graph, so it parses no file and follows no owl:imports.
"""

from __future__ import annotations

import logging
import re

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import DC, DCTERMS, OWL, RDF, RDFS, SDO, SKOS

from ..kb.knowledge_base import KnowledgeBase
from ..namespaces import DORSUM

PROF = Namespace("http://www.w3.org/ns/dx/prof/")
# the types pyLODE reads as a document header, and the properties it takes a header's title from
HEADER_TYPES = (OWL.Ontology, SKOS.ConceptScheme, PROF.Profile, URIRef("http://www.w3.org/ns/shacl#ShapesGraph"))
TITLES = (DCTERMS.title, DC.title, RDFS.label, SKOS.prefLabel, SDO.name)


def pylode_graph(kb: KnowledgeBase) -> Graph:
    """The ontology with one owl:Ontology header: the knowledge base's (the first by IRI if there are
    several, the others losing their type; one titled with the KB's version if there is none). Concept schemes keep their labels and members but not their type, which nothing else on
    the page shows. Blank nodes are relabelled canonically and the triples added in sorted order,
    since pyLODE's output follows the graph's order and rdflib's blank-node ids are random."""
    source = to_canonical_graph(kb.ontology)
    headers = sorted(source.subjects(RDF.type, OWL.Ontology))
    header = headers[0] if headers else URIRef(f"{DORSUM}ontology")
    g = Graph(bind_namespaces="core")
    for prefix, ns in sorted(kb.ontology.namespaces()):
        g.bind(prefix, ns, override=True)
    for s, p, o in sorted(source):
        if not (p == RDF.type and o in HEADER_TYPES):
            g.add((s, p, o))
    g.add((header, RDF.type, OWL.Ontology))
    if not any((header, p, None) in g for p in TITLES):
        g.add((header, DCTERMS.title, Literal(f"dorsum knowledge base {kb.version}", lang="en")))
    return g


def ontology_html(kb: KnowledgeBase) -> str:
    OntPub = _import_pylode()
    return _sort_set_operands(OntPub(ontology=pylode_graph(kb), sort_subjects=True).make_html())


def _import_pylode():
    """Import pyLODE without its side effect: importing it calls logging.basicConfig(level=DEBUG)
    (pylode/profiles/supermodel/loader.py), which would turn on every library's debug output."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        from pylode import OntPub
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    return OntPub


# The operands of an owl:intersectionOf / owl:unionOf as pyLODE renders them: sibling <span>s at one
# indentation, joined by "and" / "or". pyLODE 3.3 (the last release for Python 3.11) collects them in
# a Python set, so their order changes between runs; they are put in sorted order so two
# generations are byte-identical.
_OPERAND = r"<span>(?:[^\n]*</span>|\n(?:(?P=ind) [^\n]*\n)*(?P=ind)</span>)\n"   # its inner lines are deeper
_JOIN = r'<span class="cardinality">(?:and|or)</span>\n'
_SET_OPERANDS = re.compile(rf"^(?P<ind> +){_OPERAND}(?:(?P=ind){_JOIN}(?P=ind){_OPERAND})+", re.M)


def _sort_set_operands(doc: str) -> str:
    def sort(m: re.Match) -> str:
        ind = m.group("ind")
        joins = re.compile(rf"^{ind}{_JOIN}", re.M)
        join = joins.search(m.group(0)).group(0)
        operands = [_sort_set_operands(o) for o in joins.split(m.group(0))]   # sets nested in an operand
        return join.join(sorted(operands))
    return _SET_OPERANDS.sub(sort, doc)
