"""The few namespaces the engine itself needs. Clinical IRIs never appear in engine code."""

from urllib.parse import quote

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

DORSUM = Namespace("https://w3id.org/dorsum/")
PROV = Namespace("http://www.w3.org/ns/prov#")
SH = Namespace("http://www.w3.org/ns/shacl#")
CASE_BASE = "https://w3id.org/dorsum/case/"
RULE_BASE = "https://w3id.org/dorsum/rule/"
CHECK_BASE = "https://w3id.org/dorsum/check/"
KB_GRAPH = "https://w3id.org/dorsum/graph/kb"

PREFIXES = {
    "dorsum": str(DORSUM), "owl": str(OWL), "rdf": str(RDF), "rdfs": str(RDFS),
    "xsd": str(XSD), "skos": str(SKOS), "dcterms": str(DCTERMS), "prov": str(PROV),
    "sh": str(SH),
}

SPARQL_PREFIXES = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in sorted(PREFIXES.items()))


def case_id_segment(case_id: str) -> str:
    """A case id as one IRI path segment, percent-encoded but for RFC 3986's unreserved characters:
    the one spelling of an id in an IRI, shared by the case IRI (intake) and its graph in the store."""
    return quote(case_id, safe="-._~")
