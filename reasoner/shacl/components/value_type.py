"""sh:datatype, sh:class and sh:nodeKind: the type of each value node."""

from __future__ import annotations

from rdflib import URIRef
from rdflib.namespace import RDFS

from ...namespaces import SH
from ..sparql_terms import TYPE_OF, sparql_term

_NODE_KINDS = {
    SH.IRI: "isIRI({v})", SH.BlankNode: "isBlank({v})", SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "(isBlank({v}) || isIRI({v}))", SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
    SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))",
}


def datatype(cc, s, param, comp) -> None:
    """sh:datatype, on the literal as written (an ill-typed literal has data_term's datatype)."""
    shape, v, table = s.shape, s.v, s.table
    dt = cc.one(shape, param)
    if not isinstance(dt, URIRef) or dt == RDFS.Datatype:
        cc.fail(shape, f"sh:datatype {dt} is not supported by the compiled SHACL validator")
    if dt == RDFS.Literal:
        s.on_values(comp, "", f"!isLiteral({v})")
    elif table:
        s.row("datatype", dt, comp)
    else:  # as written (an ill-typed literal has data_term's datatype)
        block, lx, dtv = s.lex(v)
        s.on_values(comp, block, f"!(isLiteral({v}) && {dtv} = {sparql_term(dt)})", (lx, dtv))


def class_(cc, s, param, comp) -> None:
    """sh:class: a value node that is not an instance (rdf:type/rdfs:subClassOf*)."""
    shape, g, v, table = s.shape, s.g, s.v, s.table
    for c in sorted(g.objects(shape, param), key=str):
        if table:
            s.row("class", c, comp)
            continue
        ok = cc.var("ok")
        s.on_values(comp, f"OPTIONAL {{ GRAPH ?g {{ {v} {TYPE_OF} {sparql_term(c)} }} BIND(true AS {ok}) }}",
                  f"!BOUND({ok})")


def node_kind(cc, s, param, comp) -> None:
    """sh:nodeKind: a value node of another kind."""
    shape, v = s.shape, s.v
    kind = cc.one(shape, param)
    if kind not in _NODE_KINDS:
        cc.fail(shape, f"unknown sh:nodeKind {kind}")
    s.on_values(comp, "", "!" + _NODE_KINDS[kind].format(v=v))
