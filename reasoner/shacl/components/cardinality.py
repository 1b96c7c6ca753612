"""sh:minCount and sh:maxCount: how many value nodes a focus node has."""

from __future__ import annotations

from ...namespaces import SH
from .context import Branch


def counts(cc, s, param, comp) -> None:
    """sh:minCount, sh:maxCount: a count of the distinct value nodes out of bounds."""
    shape, g, f, vals, focus_pattern, is_ps, table, out = s.shape, s.g, s.f, s.vals, s.focus_pattern, s.is_ps, s.table, s.out
    if not is_ps:
        cc.fail(shape, f"{cc.name(param)} is only allowed on a property shape (one with sh:path)")
    n = cc.integer(shape, param)
    x = cc.var("x")
    if table:
        if n or param == SH.maxCount:
            s.row("minCount" if param == SH.minCount else "maxCount", n, comp)
        return
    if param == SH.minCount:
        if n == 0:
            return
        inner = f"{focus_pattern} OPTIONAL {{ GRAPH ?g {{ {f} {vals.path} {x} }} }}"
        having = f"COUNT(DISTINCT {x}) < {n}"
    else:
        inner = f"{focus_pattern} GRAPH ?g {{ {f} {vals.path} {x} }}"
        having = f"COUNT(DISTINCT {x}) > {n}"
    out.append(Branch(f"{{ SELECT ?g {f} WHERE {{ {inner} }} GROUP BY ?g {f} HAVING ({having}) }}", comp, f))
