"""sh:equals, sh:disjoint, sh:lessThan, sh:lessThanOrEquals: a value node against the values of
another property of the focus node."""

from __future__ import annotations

from rdflib import URIRef

from ...namespaces import SH
from ..sparql_terms import sparql_term
from .context import Branch


def pair(cc, s, param, comp) -> None:
    """Each component of the group, by param."""
    shape, g, f, v, vals, focus_pattern, is_ps, out = s.shape, s.g, s.f, s.v, s.vals, s.focus_pattern, s.is_ps, s.out
    other = cc.one(shape, param)
    if not isinstance(other, URIRef):
        cc.fail(shape, f"{cc.name(param)} takes a property IRI, not {other}")
    if param in (SH.lessThan, SH.lessThanOrEquals) and not is_ps:
        cc.fail(shape, f"{cc.name(param)} is only allowed on a property shape (one with sh:path)")
    o, h = cc.var("o"), cc.var("h")
    op = sparql_term(other)
    if param == SH.disjoint:  # a value node that is also a value of the other property
        s.on_values(comp, f"GRAPH ?g {{ {f} {op} {v} }}", None)
    elif param == SH.equals:  # a value node the other property lacks, and the other way round
        s.on_values(comp, f"OPTIONAL {{ GRAPH ?g {{ {f} {op} {v} }} BIND(true AS {h}) }}", f"!BOUND({h})")
        h2 = cc.var("h")
        mine = (f"OPTIONAL {{ GRAPH ?g {{ {f} {vals.path} {o} }} BIND(true AS {h2}) }} FILTER(!BOUND({h2}))"
                if is_ps else f"FILTER(!sameTerm({o}, {f}))")
        out.append(Branch(f"{focus_pattern} GRAPH ?g {{ {f} {op} {o} }} {mine}", comp, f, o, None, other))
    else:  # lessThan, lessThanOrEquals: each pair that is not in order, incomparable ones too
        cmp = "<" if param == SH.lessThan else "<="
        s.on_values(comp, f"GRAPH ?g {{ {f} {op} {o} }}", f"!COALESCE({v} {cmp} {o}, false)")
