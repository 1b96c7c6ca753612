"""Terms between rdflib and pyoxigraph: one conversion for intake, validation, the engine,
provenance and the store, so a term read by one step is the same term in the next.

A string rdflib accepted as an IRI but Oxigraph refuses (a JSON value with '<' or a space where a
slug belongs, a datatype "") gets a stand-in IRI that to_rdflib turns back, so such a case reaches
the shapes and is reported instead of failing the conversion.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable
from urllib.parse import quote, unquote

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

_NOT_AN_IRI = "urn:x-dorsum-shacl:not-an-iri:"
_XSD_STRING = ox.NamedNode("http://www.w3.org/2001/XMLSchema#string")


def _named(iri: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(iri)
    except ValueError:
        return ox.NamedNode(_NOT_AN_IRI + quote(iri, safe=""))


def to_ox(term):
    if isinstance(term, URIRef):
        return _named(term)
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=_named(term.datatype))
        return ox.Literal(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    raise TypeError(f"cannot convert {term!r}")


def to_rdflib(term):
    if isinstance(term, ox.NamedNode):
        iri = term.value
        return URIRef(unquote(iri[len(_NOT_AN_IRI):]) if iri.startswith(_NOT_AN_IRI) else iri)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype == _XSD_STRING:  # a simple literal: RDF 1.1's xsd:string, rdflib's plain Literal
            return Literal(term.value)
        return Literal(term.value, datatype=to_rdflib(term.datatype))
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    raise TypeError(f"cannot convert {term!r}")


def ox_triples(triples: Iterable) -> list:
    """rdflib triples -> pyoxigraph Triples."""
    return [ox.Triple(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in triples]


def rdflib_triples(triples: Iterable) -> list:
    """pyoxigraph Triples -> rdflib triples."""
    return [(to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)) for t in triples]


class Terms:
    """to_rdflib with a bounded cache, owned by a run's Runtime: the knowledge base's terms recur
    in every case's provenance, and converting each once saves building the same rdflib term again."""

    MAX = 200_000

    def __init__(self):
        self._cache: dict = {}

    def to_rdflib(self, term):
        found = self._cache.get(term)
        if found is None:
            found = to_rdflib(term)
            if not isinstance(term, ox.BlankNode):
                if len(self._cache) >= self.MAX:
                    self._cache.clear()
                self._cache[term] = found
        return found

    def rdflib_triples(self, triples: Iterable) -> list:
        convert = self.to_rdflib
        return [(convert(t.subject), convert(t.predicate), convert(t.object)) for t in triples]


_XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGERS = {_XSD + n for n in ("integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
                                "nonPositiveInteger", "negativeInteger", "unsignedLong", "unsignedInt",
                                "unsignedShort", "unsignedByte")}
_DECIMAL, _FLOATS = _XSD + "decimal", {_XSD + "double", _XSD + "float"}


def json_number(lit):
    """The JSON number of a numeric literal (pyoxigraph or rdflib; read as rdflib's toPython reads
    it): an integral value as int, else float; None for any other literal or an ill-typed one."""
    if isinstance(lit, Literal):
        lit = to_ox(lit)
    dt = lit.datatype.value
    try:
        if dt in _INTEGERS:
            v = int(lit.value)
        elif dt == _DECIMAL:
            v = Decimal(lit.value)
        elif dt in _FLOATS:
            v = float(lit.value)
        else:
            return None
    except (ValueError, ArithmeticError):
        return None
    return int(v) if v == int(v) else float(v)
