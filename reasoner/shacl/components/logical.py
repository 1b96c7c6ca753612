"""sh:and, sh:or, sh:xone, sh:not: conformance of the value nodes to member shapes."""

from __future__ import annotations


def and_(cc, s, param, comp) -> None:
    """sh:and: a value node failing any member shape."""
    shape, g, v, vals = s.shape, s.g, s.v, s.vals
    for lst in sorted(g.objects(shape, param), key=str):
        members = cc.items(shape, lst)
        focus = f"{{ SELECT DISTINCT ?g {v} WHERE {{ {vals.pattern} }} }}"
        fails = [x for x in (cc.failing(m, focus, v) for m in members) if x is not None]
        if fails:
            s.on_values(comp, "{ " + " UNION ".join("{ " + x + " }" for x in fails) + " }", None)


def or_(cc, s, param, comp) -> None:
    """sh:or: a value node failing every member shape."""
    shape, vals = s.shape, s.vals
    blocks, flags = member_flags(cc, shape, param, vals)
    if None in flags:
        return  # a member nothing fails: every value node conforms to the sh:or
    s.on_values(comp, " ".join(blocks), " && ".join(f"BOUND({x})" for x in flags))


def xone(cc, s, param, comp) -> None:
    """sh:xone: a value node conforming to no member shape, or to more than one."""
    shape, vals = s.shape, s.vals
    blocks, flags = member_flags(cc, shape, param, vals)
    passed = " + ".join("1" if x is None else f"IF(BOUND({x}), 0, 1)" for x in flags)
    s.on_values(comp, " ".join(blocks), f"({passed}) != 1")


def not_(cc, s, param, comp) -> None:
    """sh:not: a value node conforming to the shape."""
    shape, g, v, vals = s.shape, s.g, s.v, s.vals
    for n in sorted(g.objects(shape, param), key=str):
        fails = cc.failing(n, f"{{ SELECT DISTINCT ?g {v} WHERE {{ {vals.pattern} }} }}", v)
        if fails is None:
            s.on_values(comp, "", None)
            continue
        flag = cc.var("m")
        s.on_values(comp, f"OPTIONAL {{ {fails} BIND(true AS {flag}) }}", f"!BOUND({flag})")


def member_flags(cc, shape, param, vals) -> tuple[list[str], list[str | None]]:
    """For sh:or / sh:xone: OPTIONAL blocks marking value nodes that fail each member shape."""
    members = cc.items(shape, cc.one(shape, param))
    if not members:
        cc.fail(shape, f"the list of {cc.name(param)} is empty")
    focus = f"{{ SELECT DISTINCT ?g {vals.value} WHERE {{ {vals.pattern} }} }}"
    blocks, flags = [], []
    for m in members:
        pattern = cc.failing(m, focus, vals.value)
        if pattern is None:
            flags.append(None)
            continue
        flag = cc.var("m")
        blocks.append(f"OPTIONAL {{ {pattern} BIND(true AS {flag}) }}")
        flags.append(flag)
    return blocks, flags
