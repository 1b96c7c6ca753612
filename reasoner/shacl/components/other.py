"""sh:in, sh:hasValue, sh:closed: membership and closed shapes."""

from __future__ import annotations

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from ...namespaces import SH
from ..sparql_terms import same_term, sparql_term
from .context import Branch


def in_(cc, s, param, comp) -> None:
    """sh:in: a value node that is none of the members (term equality, as written)."""
    shape, v = s.shape, s.v
    members = cc.items(shape, cc.one(shape, param))
    if any(isinstance(m, BNode) for m in members):
        cc.fail(shape, "sh:in with blank node members is not supported by the compiled SHACL validator")
    block, lx, dt = s.lex(v)
    test = " || ".join(same_term(v, lx, dt, m) for m in members) or "false"
    s.on_values(comp, block, f"!({test})", (lx, dt))


def has_value(cc, s, param, comp) -> None:
    """sh:hasValue: a focus node without the value (as written, for a literal)."""
    shape, g, f, vals, focus_pattern, is_ps, out = s.shape, s.g, s.f, s.vals, s.focus_pattern, s.is_ps, s.out
    for hv in sorted(g.objects(shape, param), key=str):
        if isinstance(hv, BNode):
            cc.fail(shape, "sh:hasValue with a blank node is not supported by the compiled SHACL validator")
        if is_ps and not isinstance(hv, Literal):
            h = cc.var("h")
            pattern = (f"{focus_pattern} OPTIONAL {{ GRAPH ?g {{ {f} {vals.path} {sparql_term(hv)} }} "
                       f"BIND(true AS {h}) }} FILTER(!BOUND({h}))")
        elif is_ps:  # a value node that is hv as written (Oxigraph would match "1.00" to "1.0")
            h, x = cc.var("h"), cc.var("x")
            path = g.value(shape, SH.path)
            block, lx, dt = cc.lexical(x, f, sparql_term(path)) if isinstance(path, URIRef) else cc.lexical(x)
            pattern = (f"{focus_pattern} OPTIONAL {{ GRAPH ?g {{ {f} {vals.path} {x} }} {block} "
                       f"FILTER({same_term(x, lx, dt, hv)}) BIND(true AS {h}) }} FILTER(!BOUND({h}))")
        else:
            block, lx, dt = cc.lexical(f)
            pattern = f"{focus_pattern} {block} FILTER(!({same_term(f, lx, dt, hv)}))"
        out.append(Branch(pattern, comp, f))


def closed(cc, s, param, comp) -> None:
    """sh:closed (with sh:ignoredProperties): a triple of the value node with another predicate."""
    shape, g, f, v, vals, is_ps, out = s.shape, s.g, s.f, s.v, s.vals, s.is_ps, s.out
    closed = cc.one(shape, param)
    if not (isinstance(closed, Literal) and isinstance(closed.toPython(), bool)):
        cc.fail(shape, f"sh:closed must be true or false, not {closed}")
    if not closed.toPython():
        return
    allowed = {p for ps in g.objects(shape, SH.property) for p in g.objects(ps, SH.path) if isinstance(p, URIRef)}
    for lst in g.objects(shape, SH.ignoredProperties):
        allowed |= {p for p in cc.items(shape, lst) if isinstance(p, URIRef)}
    p, o = cc.var("p"), cc.var("o")
    not_in = f"FILTER({p} NOT IN ({', '.join(sparql_term(a) for a in sorted(allowed))}))" if allowed else ""
    pattern = (f"{vals.pattern} GRAPH ?g {{ {v} {p} {o} }} {not_in} "
               f"FILTER(!({p} = <{RDF.type}> && {o} = <{RDFS.Resource}>))")
    # focus: the focus node; value: the object; the triple's subject is the value node
    out.append(Branch(pattern, comp, f, o, v if is_ps else None, None, p))
