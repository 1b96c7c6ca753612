"""The terms of the compiled SHACL validator: the IRIs of its side graphs, how a data literal is
stored (an ill-typed one as a term of its own), and RDF terms written as SPARQL."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, XSD

from ..errors import DorsumError
from ..terms import to_ox, to_rdflib

GRAPH_BASE = "urn:x-dorsum-shacl:graph:"           # data graph i is <urn:x-dorsum-shacl:graph:i>
GRAPHS_GRAPH = "urn:x-dorsum-shacl:graphs"         # lists the data graphs (for sh:targetNode)
ILL_TYPED = "urn:x-dorsum-shacl:ill-typed:"       # + datatype IRI: the datatype of an ill-typed literal in the store
LEX_GRAPH = "urn:x-dorsum-shacl:lexical"          # literals' lexical forms as written, where Oxigraph rewrote one
LEX_E = "urn:x-dorsum-shacl:lexical:"            # + n: an entry (data graph, stored term, lexical form)
LEX_G = "urn:x-dorsum-shacl:lexical-graph"
LEX_V = "urn:x-dorsum-shacl:lexical-term"
LEX_L = "urn:x-dorsum-shacl:lexical-form"
LEX_S = "urn:x-dorsum-shacl:lexical-subject"
LEX_P = "urn:x-dorsum-shacl:lexical-predicate"
LEX_D = "urn:x-dorsum-shacl:lexical-datatype"
LIT = "urn:x-dorsum-shacl:literal"
DATA_GRAPH = "urn:x-dorsum-shacl:DataGraph"


class ShapeCompileError(DorsumError):
    """A shape the compiler cannot turn into SPARQL (an unsupported component, a malformed value)."""


TYPE_OF = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>/<http://www.w3.org/2000/01/rdf-schema#subClassOf>*"

_PY_TYPES = {XSD.string: str, RDF.langString: str, XSD.integer: int, XSD.float: float, XSD.decimal: Decimal,
             XSD.boolean: bool, XSD.date: date, XSD.time: time, XSD.dateTime: datetime}

def ill_typed(lit: Literal) -> bool:
    """rdflib's verdict on whether a literal is ill-formed for its own datatype (what sh:datatype
    checks besides the datatype IRI)."""
    if getattr(lit, "ill_typed", None) is True:
        return True
    dt = lit.datatype or (RDF.langString if lit.language else XSD.string)
    want = _PY_TYPES.get(dt)
    return want is not None and not isinstance(lit.value, want)


def data_term(lit: Literal):
    """The pyoxigraph term a data literal is stored as. A literal rdflib finds ill-typed gets the
    datatype <urn:x-dorsum-shacl:ill-typed:DATATYPE>: it is then a term of its own, which no
    well-typed literal equals and no sh:datatype accepts, and which Oxigraph keeps as it is. (rdflib
    has already rewritten an ill-typed "yes"^^xsd:boolean to "false"; as "false"^^xsd:boolean it
    would be the very term a valid case writes.) Oxigraph itself keeps an ill-typed literal as
    written and stores a well-typed one of a datatype it knows in canonical form ("1.00"^^xsd:decimal
    as "1"), in its queries' constants too."""
    if ill_typed(lit):
        dt = lit.datatype or (RDF.langString if lit.language else XSD.string)
        return ox.Literal(str(lit), datatype=ox.NamedNode(ILL_TYPED + str(dt)))
    return to_ox(lit)


def from_data_term(term):
    """data_term's inverse (for a term the data graphs do not hold as written)."""
    if isinstance(term, ox.Literal) and term.datatype.value.startswith(ILL_TYPED):
        return Literal(term.value, datatype=URIRef(term.datatype.value[len(ILL_TYPED):]))
    return to_rdflib(term)


def sparql_iri(text: str) -> str:
    if re.search(r'[\x00-\x20<>"{}|^`\\]', text):
        raise ShapeCompileError(f"IRI {text!r} cannot be written in SPARQL")
    return f"<{text}>"


def sparql_string(text: str) -> str:
    """A simple literal (xsd:string: never rewritten by Oxigraph)."""
    return Literal(text).n3()


def sparql_term(term) -> str:
    if isinstance(term, URIRef):
        return sparql_iri(str(term))
    if isinstance(term, Literal):
        if ill_typed(term):  # as data_term stores it
            dt = term.datatype or (RDF.langString if term.language else XSD.string)
            return f"{sparql_string(str(term))}^^{sparql_iri(ILL_TYPED + str(dt))}"
        return term.n3()
    raise ShapeCompileError(f"a blank node ({term}) cannot be a constant in a compiled shape")


def same_term(v: str, lx: str, dt_var: str, term) -> str:
    """v (written with lexical form lx and datatype dt_var) is the RDF term `term`: for a literal, the same lexical form,
    datatype and language tag (term equality, not value equality: "1.00"^^xsd:decimal is not
    "1.0"^^xsd:decimal)."""
    if not isinstance(term, Literal):
        return f"sameTerm({v}, {sparql_term(term)})"
    if term.language:
        return (f"(isLiteral({v}) && {lx} = {sparql_string(str(term))} && "
                f"LCASE(LANG({v})) = {sparql_string(term.language.lower())})")
    dt = term.datatype or XSD.string
    if ill_typed(term):
        dt = URIRef(ILL_TYPED + str(dt))
    return (f"(isLiteral({v}) && LANG({v}) = \"\" && {lx} = {sparql_string(str(term))} && "
            f"{dt_var} = {sparql_iri(str(dt))})")
