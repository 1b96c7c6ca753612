"""sh:minInclusive, sh:maxInclusive, sh:minExclusive, sh:maxExclusive: values compared, as
SHACL says (an incomparable value fails)."""

from __future__ import annotations

from rdflib import Literal

from ...namespaces import SH
from ..sparql_terms import sparql_term

_COMPARISONS = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"}


def comparison(cc, s, param, comp) -> None:
    """A value node out of range, or not comparable with the bound."""
    shape, g, v, table = s.shape, s.g, s.v, s.table
    for bound in sorted(g.objects(shape, param), key=str):
        if not isinstance(bound, Literal):
            cc.fail(shape, f"{cc.name(param)} must be a literal, not {bound}")
        if table:
            s.row(_COMPARISONS[param], bound, comp)
            continue
        s.on_values(comp, "", f"!COALESCE({v} {_COMPARISONS[param]} {sparql_term(bound)}, false)")
