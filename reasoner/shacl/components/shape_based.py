"""sh:node and sh:qualifiedValueShape: value nodes against another shape (sh:property is the
compiler's own, as it nests whole shapes)."""

from __future__ import annotations

from rdflib import Literal

from ...namespaces import SH
from .context import Branch


def node(cc, s, param, comp) -> None:
    """sh:node: a value node that does not conform to the node shape."""
    shape, g, v, vals, table = s.shape, s.g, s.v, s.vals, s.table
    for n in sorted(g.objects(shape, param), key=str):
        if cc.is_property_shape(n):
            cc.fail(shape, f"sh:node {cc.name(n)} is a property shape; sh:node takes a node shape")
        if table:
            s.row("node", n, comp)
            continue
        fails = cc.failing(n, f"{{ SELECT DISTINCT ?g {v} WHERE {{ {vals.pattern} }} }}", v)
        if fails is not None:
            s.on_values(comp, fails, None)


def qualified(cc, s, param, comp) -> None:
    """sh:qualifiedMinCount, sh:qualifiedMaxCount: a count of the value nodes conforming to the
    qualified shape (and to no sibling shape, with sh:qualifiedValueShapesDisjoint)."""
    shape, g, f, v, vals, focus_pattern, is_ps, out = s.shape, s.g, s.f, s.v, s.vals, s.focus_pattern, s.is_ps, s.out
    if (shape, SH.qualifiedValueShape, None) not in g:
        return  # without its shape the component has no effect (W3C node/qualified-001)
    if not is_ps:
        cc.fail(shape, f"{cc.name(param)} is only allowed on a property shape (one with sh:path)")
    n = cc.integer(shape, param)
    q = cc.one(shape, SH.qualifiedValueShape)
    disjoint = cc.g.value(shape, SH.qualifiedValueShapesDisjoint)
    siblings = []
    if isinstance(disjoint, Literal) and disjoint.toPython() is True:
        # the qualified value shapes of the property shapes of every shape this one is a property of
        siblings = sorted({sq for parent in g.subjects(SH.property, shape) for ps in g.objects(parent, SH.property)
                           for sq in g.objects(ps, SH.qualifiedValueShape)} - {q}, key=str)
    focus = f"{{ SELECT DISTINCT ?g {v} WHERE {{ {vals.pattern} }} }}"
    blocks, cond = [], []
    fails = cc.failing(q, focus, v)
    if fails is not None:
        bad = cc.var("bad")
        blocks.append(f"OPTIONAL {{ {fails} BIND(true AS {bad}) }}")
        cond.append(f"!BOUND({bad})")
    for sib in siblings:  # a value node counts only if it conforms to no sibling shape
        sib_fails = cc.failing(sib, focus, v)
        if sib_fails is None:
            cond.append("false")
            continue
        other = cc.var("sib")
        blocks.append(f"OPTIONAL {{ {sib_fails} BIND(true AS {other}) }}")
        cond.append(f"BOUND({other})")
    counted = f"{vals.pattern} {' '.join(blocks)}" + (f" FILTER({' && '.join(cond)})" if cond else "")
    having = f"COUNT(DISTINCT {v}) {'<' if param == SH.qualifiedMinCount else '>'} {n}"
    out.append(Branch(f"{{ SELECT ?g {f} WHERE {{ {focus_pattern} OPTIONAL {{ {counted} }} }} "
                       f"GROUP BY ?g {f} HAVING ({having}) }}", comp, f))
