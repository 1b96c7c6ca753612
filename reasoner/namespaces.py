"""The few namespaces the engine itself needs. Clinical IRIs never appear in engine code."""

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
