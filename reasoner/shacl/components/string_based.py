"""sh:minLength, sh:maxLength, sh:pattern, sh:languageIn, sh:uniqueLang: on the lexical form as
written, or the language tag."""

from __future__ import annotations

from rdflib import Literal
from rdflib.namespace import XSD

from ...namespaces import SH
from ..sparql_terms import sparql_string, sparql_term
from .context import Branch


def length(cc, s, param, comp) -> None:
    """sh:minLength, sh:maxLength: the lexical form as written (a blank node always fails)."""
    shape, v, table = s.shape, s.v, s.table
    n = cc.integer(shape, param)
    if table:
        if n or param == SH.maxLength:
            s.row("minLength" if param == SH.minLength else "maxLength", n, comp)
        return
    if param == SH.minLength and n == 0:
        return
    block, lx, dt = s.lex(v)
    op = ">=" if param == SH.minLength else "<="
    s.on_values(comp, block, f"isBlank({v}) || !COALESCE(STRLEN({lx}) {op} {n}, false)", (lx, dt))


def pattern(cc, s, param, comp) -> None:
    """sh:pattern (with sh:flags): the lexical form as written."""
    shape, g, v = s.shape, s.g, s.v
    flags = g.value(shape, SH.flags)
    flag_text = ", " + sparql_term(Literal(str(flags))) if flags is not None else ""
    for pat in sorted(g.objects(shape, param), key=str):
        if not isinstance(pat, Literal):
            cc.fail(shape, f"sh:pattern must be a literal, not {pat}")
        block, lx, dt = s.lex(v)
        s.on_values(comp, block, f"isBlank({v}) || !COALESCE(REGEX({lx}, {sparql_string(str(pat))}{flag_text}), false)",
                  (lx, dt))


def language_in(cc, s, param, comp) -> None:
    """sh:languageIn: a value without one of the language ranges."""
    shape, v = s.shape, s.v
    tags = cc.items(shape, cc.one(shape, param))
    if not all(isinstance(t, Literal) for t in tags):
        cc.fail(shape, "sh:languageIn takes a list of language tags (literals)")
    test = " || ".join(f"langMatches(LANG({v}), {sparql_string(str(t))})" for t in tags) or "false"
    s.on_values(comp, "", f"!(isLiteral({v}) && ({test}))")


def unique_lang(cc, s, param, comp) -> None:
    """sh:uniqueLang: a language tag used by two values or more."""
    shape, g, f, vals, focus_pattern, is_ps, out = s.shape, s.g, s.f, s.vals, s.focus_pattern, s.is_ps, s.out
    unique = cc.one(shape, param)
    if not (isinstance(unique, Literal) and unique.datatype == XSD.boolean):
        cc.fail(shape, f"sh:uniqueLang must be true or false, not {unique}")
    if str(unique) != "true":  # only the literal true ("1"^^xsd:boolean is not: W3C uniqueLang-002)
        return
    if not is_ps:
        cc.fail(shape, "sh:uniqueLang is only allowed on a property shape (one with sh:path)")
    x, lang = cc.var("x"), cc.var("lang")
    # one result per focus node and language tag used by two values or more
    out.append(Branch(f"{{ SELECT ?g {f} WHERE {{ {focus_pattern} GRAPH ?g {{ {f} {vals.path} {x} }} "
                       f"BIND(LCASE(LANG({x})) AS {lang}) FILTER({lang} != \"\") }} "
                       f"GROUP BY ?g {f} {lang} HAVING (COUNT(DISTINCT {x}) > 1) }}", comp, f))
