"""The flat case form (a JSON object under the shipped context) read into a case graph.

The flat form is JSON-LD, but JSON-LD silently drops what it does not know (an unknown key, a
null, a keyword): here each of those is an error naming its path, with a suggestion for a
misspelt key, and what is left of a case with errors is still checked against the case shapes
(CaseInput.partial), so one run reports every problem. A case without errors is read by the fast
reader (flatjson), else by rdflib's JSON-LD parser, the reference.
"""

from __future__ import annotations

import difflib
import json

from rdflib import Graph, URIRef

from ..namespaces import DORSUM
from .case_input import CaseInput, Partial, case_iri
from .context import CaseContext
from .flatjson import case_graph
from .graphs import ill_typed_literals_reported, skolemize
from .json_text import nesting_depth, key_path, duplicate_key_error
from .problems import error, printable, unicode_problem

MAX_DEPTH = 16  # the flat form nests 3 deep; anything far deeper is refused, not recursed into


# JSON-LD drops a null, so `"skin_markers": null` would silently read as "not recorded" and
# `[null]` as "none seen": neither is what the sender said, so both are errors.
NULL_MESSAGE = "null is not a value: leave the key out when the finding is unknown ([] means none seen for a list)"


def suggestions(key: str, ctx: CaseContext) -> list[str]:
    """The known keys nearest to an unknown one (the shipped context's terms, in its order): keys it
    begins or is the beginning of at a `_` (age -> age_years, age_months, age_days), then the
    closest by difflib; at most three."""
    terms = ctx.ordered_terms
    near = [t for t in terms if t.startswith(key + "_") or key.startswith(t + "_")]
    near += [t for t in difflib.get_close_matches(key, terms, n=3) if t not in near]
    return near[:3]


def unknown_key_error(path: str, key: str, value, ctx: CaseContext) -> dict:
    near = suggestions(key, ctx)
    hint = ""
    if near:
        hint = f"; did you mean '{near[0]}'?"
        if len(near) > 1:
            hint += " (or " + ", ".join(f"'{n}'" for n in near[1:]) + ")"
    return error(path, value, f"unknown key '{key}'{hint}")


_DROP = object()


def read_flat(value, ctx: CaseContext, path: str = "") -> tuple[list[dict], object, list[str]]:
    """Everything JSON-LD would silently drop or no reader may guess at in a flat case, in document
    order, each an error naming its path: unknown keys (the value the key was given, with a
    suggestion), JSON-LD keywords, nulls, keys given twice, keys and strings that are not valid
    Unicode. Returns (errors, the case without the offending keys, their paths): what is left can
    still be checked against the case shapes, so one run reports every problem."""
    errs: list[dict] = []
    dropped: list[str] = []

    def walk(v, path):
        if isinstance(v, dict):
            repeated = dict(getattr(v, "duplicates", ()))
            out = {}
            for key, item in v.items():
                sub = key_path(path, printable(key))
                why = unicode_problem(key)
                if why:
                    errs.append(error(sub, item, f"the key {why}"))
                elif key.startswith("@"):
                    errs.append(error(sub, item, f"JSON-LD keyword '{key}' is not allowed in the flat case form"))
                elif key not in ctx.terms:
                    errs.append(unknown_key_error(sub, key, item, ctx))
                elif key in repeated:
                    errs.append(duplicate_key_error(sub, key, repeated[key]))
                elif item is None:
                    errs.append(error(sub, "null", NULL_MESSAGE))
                else:
                    kept = walk(item, sub)
                    if kept is not _DROP:
                        out[key] = kept
                        continue
                dropped.append(sub)
            return out
        if isinstance(v, list):
            before = len(errs)
            for i, item in enumerate(v):
                if item is None:
                    errs.append(error(f"{path}[{i}]", "null", NULL_MESSAGE))
                else:
                    walk(item, f"{path}[{i}]")
            return v if len(errs) == before else _DROP  # a list with a bad item is not checked further
        if isinstance(v, str):
            why = unicode_problem(v)
            if why:
                errs.append(error(path, v, f"the string {why}"))
                return _DROP
        return v

    kept = walk(value, path)
    return errs, kept, dropped


def unknown_keys(value, ctx: CaseContext, path: str = "") -> list[dict]:
    """The errors of read_flat: keys and values JSON-LD would silently drop or no reader may guess at."""
    return read_flat(value, ctx, path)[0]


def flat_case(obj, source: str, ctx: CaseContext) -> CaseInput:
    """One flat JSON object -> a case graph (JSON-LD under the shipped context). A case with errors
    gets every one of them: those of intake (read_flat) and, when the rest of the case can be read,
    those the case shapes find in it (CaseInput.partial)."""
    with ill_typed_literals_reported():
        return _flat_case(obj, source, ctx)


def _flat_case(obj, source: str, ctx: CaseContext) -> CaseInput:
    if not isinstance(obj, dict):
        return CaseInput(source, source, errors=[error("", obj, "a case must be a JSON object")])
    raw_id = obj.get("id")
    id_ok = (isinstance(raw_id, str) and raw_id.strip() and not unicode_problem(raw_id)
             and "id" not in dict(getattr(obj, "duplicates", ())))
    # (an id that is not valid Unicode, or given twice, is named by read_flat)
    errs = [] if isinstance(raw_id, str) and raw_id.strip() else [error("id", raw_id, "every case needs an 'id': a non-empty string")]
    case_id = raw_id if id_ok else source
    if nesting_depth(obj, MAX_DEPTH) > MAX_DEPTH:
        return CaseInput(case_id, source, errors=errs + [error("", None, f"input nests deeper than {MAX_DEPTH} levels; the case form nests 3")])
    problems, kept, dropped = read_flat(obj, ctx)
    errs += problems
    if errs:
        ci = CaseInput(case_id, source, errors=errs)
        if not id_ok:
            dropped.append("id")
            kept.pop("id", None)
        part = _flat_graph(kept, case_iri(case_id), ctx)
        if part is not None:
            ci.partial = Partial(case_iri(case_id), part, tuple(dropped))
        return ci
    iri = case_iri(case_id)
    fast = _fast_graph(obj, iri, ctx)
    if fast is not None:
        return CaseInput(case_id, source, iri, fast)
    return jsonld_case(obj, case_id, source, iri, ctx)


def _fast_graph(obj: dict, iri: str, ctx: CaseContext) -> Graph | None:
    """The case graph by the fast reader (flatjson), or None when it leaves the case to JSON-LD."""
    terms = ctx.compiled_terms
    return case_graph(obj, iri, terms) if terms is not None else None


def _flat_graph(obj: dict, iri: str, ctx: CaseContext) -> Graph | None:
    """The case graph of a flat case whose keys are all known: the fast reader, else JSON-LD; None
    when JSON-LD cannot read it either."""
    fast = _fast_graph(obj, iri, ctx)
    if fast is not None:
        return fast
    try:
        return _jsonld_graph(obj, iri, ctx)
    except Exception:  # a value JSON-LD cannot map (e.g. an object where a slug belongs)
        return None


def _jsonld_graph(obj: dict, iri: str, ctx: CaseContext) -> Graph:
    doc = dict(obj)
    doc["@context"] = ctx.context
    doc["@id"] = iri
    doc["@type"] = str(DORSUM.Case)
    g = Graph()
    g.parse(data=json.dumps(doc), format="json-ld")
    return skolemize(g, URIRef(iri))


def jsonld_case(obj: dict, case_id: str, source: str, iri: str, ctx: CaseContext) -> CaseInput:
    """The reference reader: full JSON-LD processing by rdflib, then blank nodes named by path."""
    try:
        graph = _jsonld_graph(obj, iri, ctx)
    except Exception as exc:  # a value JSON-LD cannot map (e.g. an object where a slug belongs)
        return CaseInput(case_id, source, errors=[error("", None, f"could not read the case as JSON-LD: {exc}")])
    return CaseInput(case_id, source, iri, graph)
