"""Intake: turn input files into case graphs, one CaseInput per input case, never fewer.

Inputs are the flat JSON form (a .json object or array, or .jsonl lines), which is JSON-LD under
the shipped context (context/case.context.jsonld), or RDF (Turtle, N-Triples, JSON-LD) using the
ontology's vocabulary. Whatever goes wrong with one case (malformed JSON, an unknown key, a missing
id, a remote context) becomes errors on that case's result; the batch goes on.

Nothing here reaches the network: rdflib's Turtle parser never follows owl:imports, and any
JSON-LD @context or @import other than the shipped context is refused before parsing.
"""

from __future__ import annotations

import difflib
import json
import logging
import math
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator
from urllib.parse import quote

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF

from .context import CONTEXT_IRI, CaseContext, load_context
from .flatjson import case_graph
from ..namespaces import CASE_BASE, DORSUM

JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
RDF_FORMATS = {".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld"}
INPUT_SUFFIXES = JSON_SUFFIXES | JSONL_SUFFIXES | set(RDF_FORMATS)
STDIN = "-"  # an input path that means standard input, read as STDIN_FORMATS says
STDIN_FORMATS = {"json": None, "jsonl": None, "turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld"}
STDIN_SOURCE = "<stdin>"
MAX_DEPTH = 16  # the flat form nests 3 deep; anything far deeper is refused, not recursed into
MAX_CASE_BYTES = 1_000_000  # one case is about 1 kB; a larger line is refused, read in bounded pieces
MAX_JSON_FILE_BYTES = 50_000_000  # a .json document is read whole; larger inputs belong in JSON Lines


@dataclass(frozen=True)
class Partial:
    """What could be read of a case with intake errors: its graph without the offending keys, for
    the case shapes only (never for inference), and the paths of the keys left out: a shape error
    at one of them, below one, or on the node that held one may come from leaving it out, so it is
    not reported (Classifier.validate_many)."""

    iri: str
    graph: Graph
    dropped: tuple[str, ...]


@dataclass
class CaseInput:
    """One input case: its graph when intake succeeded, else the errors that say why not."""

    case_id: str
    source: str
    iri: str | None = None
    graph: Graph | None = None
    errors: list[dict] = field(default_factory=list)
    partial: Partial | None = None

    @property
    def ok(self) -> bool:
        return self.graph is not None and not self.errors


def error(path: str, value, message: str) -> dict:
    if value is not None and not isinstance(value, str):
        try:
            value = json.dumps(value, ensure_ascii=False, allow_nan=True)
        except (TypeError, ValueError):
            value = repr(value)
    # an error echoes the input back: a lone surrogate there would break every writer of it
    return {"path": printable(path), "value": None if value is None else printable(value), "message": printable(message)}


def unicode_problem(text: str) -> str | None:
    """Why `text` is not valid Unicode (it holds a lone surrogate, e.g. from a JSON "\\ud800"
    escape or an N-Triples "\\uD800", which no UTF-8 writer can write), or None when it is."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (f"is not valid Unicode: it holds a lone surrogate U+{ord(text[exc.start]):04X} at character {exc.start} "
                "(half of a UTF-16 pair, e.g. a \\ud800 escape, is not a character)")
    return None


def printable(text: str) -> str:
    """`text` with each lone surrogate written as its escape (\\ud800): always valid Unicode."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def case_iri(case_id: str) -> str:
    """A case id becomes an IRI; characters that would break an IRI are percent-encoded."""
    return CASE_BASE + quote(printable(case_id), safe="-._~")


# ---------------------------------------------------------------- JSON parsing

def _reject_constant(name: str):
    raise ValueError(f"{name} is not a valid JSON number")


def _check_floats(value) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("numbers must be finite")


class JSONObject(dict):
    """A parsed JSON object that remembers the keys it repeated (`{"id": "a", "id": "b"}`), which
    plain json.loads would silently resolve last-wins. It keeps the first value of each key."""

    duplicates: tuple = ()


def _object(pairs: list) -> JSONObject:
    obj = JSONObject()
    given: dict = {}
    for key, value in pairs:
        given.setdefault(key, []).append(value)
        obj.setdefault(key, value)
    obj.duplicates = tuple((k, v) for k, v in given.items() if len(v) > 1)
    return obj


def parse_json(text: str):
    """json.loads that refuses NaN/Infinity (not JSON) and records repeated keys (JSONObject);
    json_problems names them, and strings that are not valid Unicode, with their paths."""
    return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_object)


def _key_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def json_problems(value, path: str = "") -> list[dict]:
    """What no reader may guess at in a parsed JSON document, each named by its path: a key given
    twice in one object, and a key or string that is not valid Unicode (document order)."""
    errs = []
    if isinstance(value, dict):
        for key, values in getattr(value, "duplicates", ()):
            errs.append(duplicate_key_error(_key_path(path, key), key, values))
        for key, v in value.items():
            sub = _key_path(path, key)
            why = unicode_problem(key)
            if why:
                errs.append(error(sub, key, f"the key {why}"))
            errs.extend(json_problems(v, sub))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            errs.extend(json_problems(item, f"{path}[{i}]"))
    elif isinstance(value, str):
        why = unicode_problem(value)
        if why:
            errs.append(error(path, value, f"the string {why}"))
    return errs


def duplicate_key_error(path: str, key: str, values: list) -> dict:
    return error(path, values, f"key '{key}' is given {len(values)} times in this object (values in the order given); "
                               "give each key once")


def _depth(value, limit: int, level: int = 0) -> int:
    if level > limit:
        return level
    if isinstance(value, dict):
        return max([_depth(v, limit, level + 1) for v in value.values()] or [level])
    if isinstance(value, list):
        return max([_depth(v, limit, level + 1) for v in value] or [level])
    return level


# ---------------------------------------------------------------- the flat form

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
                sub = _key_path(path, printable(key))
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


_quiet = threading.local()


class _IllTypedLiterals(logging.Filter):
    """rdflib logs a warning with a traceback for each literal whose text does not fit its datatype
    (a date "2024-13-45"). While a flat case is read on this thread that is input we report
    ourselves (every typed key of the context has a sh:datatype shape, which names the key and the
    value), so the warning is dropped then; at any other time it passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (getattr(_quiet, "depth", 0) and record.funcName == "_castLexicalToPython")


logging.getLogger("rdflib.term").addFilter(_IllTypedLiterals())


@contextmanager
def ill_typed_literals_reported():
    """Within this block, on this thread, rdflib's ill-typed literal warnings are not logged."""
    _quiet.depth = getattr(_quiet, "depth", 0) + 1
    try:
        yield
    finally:
        _quiet.depth -= 1


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
    if _depth(obj, MAX_DEPTH) > MAX_DEPTH:
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
    terms = ctx.compiled_terms
    if terms is not None:
        fast = case_graph(obj, iri, terms)
        if fast is not None:
            return CaseInput(case_id, source, iri, fast)
    return jsonld_case(obj, case_id, source, iri, ctx)


def _flat_graph(obj: dict, iri: str, ctx: CaseContext) -> Graph | None:
    """The case graph of a flat case whose keys are all known: the fast reader, else JSON-LD; None
    when JSON-LD cannot read it either."""
    terms = ctx.compiled_terms
    if terms is not None:
        fast = case_graph(obj, iri, terms)
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


# ---------------------------------------------------------------- RDF

def remote_contexts(value, path: str = "") -> list[str]:
    """Every @context / @import that names a document other than the shipped context."""
    found = []
    if isinstance(value, dict):
        for key, v in value.items():
            if key in ("@context", "@import"):
                for item in v if isinstance(v, list) else [v]:
                    if isinstance(item, str) and item != CONTEXT_IRI:
                        found.append(item)
            found.extend(remote_contexts(v, f"{path}.{key}"))
    elif isinstance(value, list):
        for item in value:
            found.extend(remote_contexts(item, path))
    return found


def remote_context_refused(source: str, iri: str) -> CaseInput:
    return CaseInput(source, source, errors=[error("@context", iri, "remote JSON-LD contexts are never fetched; "
                                                   f"use the shipped context ({CONTEXT_IRI}) or put the context inline")])


def _inline_shipped_context(value, ctx: CaseContext):
    if isinstance(value, dict):
        return {k: (ctx.context if k == "@context" and v == CONTEXT_IRI else _inline_shipped_context(v, ctx))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_inline_shipped_context(v, ctx) for v in value]
    return value


def case_vocabulary(ctx: CaseContext | None) -> dict | None:
    """The case vocabulary: every property IRI the shipped context maps a key to (the properties
    with a dorsum:jsonPath) -> that key, and rdf:first and rdf:rest of lists -> ""; None without a
    context."""
    if ctx is None:
        return None
    prefixes = {k: v for k, v in ctx.context.items() if isinstance(v, str) and not k.startswith("@")}
    out = {RDF.first: "", RDF.rest: ""}

    def walk(c: dict) -> None:
        for key, val in c.items():
            if key.startswith("@") or not isinstance(val, dict):
                continue
            iri = val.get("@id")
            if isinstance(iri, str):
                pre, sep, local = iri.partition(":")
                out.setdefault(URIRef(prefixes[pre] + local if sep and pre in prefixes else iri), key)
            if isinstance(val.get("@context"), dict):
                walk(val["@context"])
    walk(ctx.context)
    return out


# a case node may carry no rdf:type but this one, on the case node itself: every other class (age
# groups, conclusions, risk factors, ...) is the engine's to derive, never the input's to assert
CASE_TYPES = frozenset({DORSUM.Case})
MAX_ISOLATION_ERRORS = 20


def _local(p) -> str:
    return str(p).rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def case_nodes(graph: Graph, case: URIRef, vocab: dict | None) -> dict:
    """A case's own nodes -> the path that reaches them (shortest, then least): the case IRI, and
    the blank nodes and IRIs under `<case>/` that it reaches through the case vocabulary. An IRI
    anywhere else (a knowledge-base term, another case or its nodes) is never a node of this case,
    whatever the IRI's spelling shares with the case's."""
    under = str(case) + "/"
    paths = {case: ""}
    level = [case]
    while level:
        found: dict = {}
        for node in level:
            for p, o in graph.predicate_objects(node):
                if o in paths or (vocab is not None and p not in vocab):
                    continue
                if not (isinstance(o, BNode) or (isinstance(o, URIRef) and str(o).startswith(under)
                                                 and (o, RDF.type, DORSUM.Case) not in graph)):
                    continue
                step = "" if p in (RDF.first, RDF.rest) else vocab[p] if vocab is not None else _local(p)
                path = ".".join(x for x in (paths[node], step) if x)
                if o not in found or (len(path), path) < (len(found[o]), found[o]):
                    found[o] = path
        paths.update(found)
        level = sorted(found, key=lambda n: (found[n], str(n)))
    return paths


def isolation_errors(graph: Graph, case: URIRef, case_id: str, sub: Graph, vocab: dict | None) -> list[dict]:
    """What makes a case's input reach beyond the case (sorted; [] when it describes only itself):
    a case IRI in the dorsum namespace other than its own case IRI, a triple about a node that is
    not the case's own (see case_nodes), and an rdf:type the engine derives."""
    errs = []
    if str(case).startswith(str(DORSUM)) and (not case_id or str(case) != case_iri(case_id)):
        errs.append(error("id", str(case), f"a case named in the dorsum namespace must be named {case_iri(case_id or '<id>')} "
                                           "(https://w3id.org/dorsum/case/ and its own id); other IRIs there are the knowledge base's"))
    nodes = case_nodes(graph, case, vocab)
    rows = []

    def shown(term) -> str:
        return "[]" if isinstance(term, BNode) else term.n3()  # a blank node's label is arbitrary
    for s, p, o in sub:
        if s not in nodes:
            rows.append((shown(s), str(p), shown(o), error("", f"{shown(s)} {p.n3()} {shown(o)}",
                         f"a triple about {shown(s)}, which is not a node of this case: a case may describe only itself and "
                         f"the blank nodes or IRIs under <{case}/> it reaches through the case vocabulary, never the "
                         "knowledge base or another case")))
        elif p == RDF.type and not (s == case and o in CASE_TYPES):
            where = nodes[s]
            rows.append((where, str(p), shown(o), error(where, shown(o),
                         f"rdf:type {shown(o)} on "
                         f"{'the case' if s == case else where}: the input may type only the case node, as dorsum:Case; "
                         "age groups, conclusions and risk factors are derived, never asserted")))
    unique = {(r[0], r[1], r[2], r[3]["path"]): r[3] for r in rows}
    rows = [unique[k] for k in sorted(unique)]
    errs += rows[:MAX_ISOLATION_ERRORS]
    if len(rows) > MAX_ISOLATION_ERRORS:
        errs.append(error("", None, f"and {len(rows) - MAX_ISOLATION_ERRORS} more triple(s) like these"))
    return errs


def rdf_cases(graph: Graph, source: str, ctx: CaseContext | None = None) -> list[CaseInput]:
    """Split an RDF graph into its cases. A case may describe only its own nodes (case_nodes);
    each triple beyond them is an error on that case (isolation_errors), which no rule then sees.
    Triples outside every case are an error on each case: a case file may describe cases, never
    change the knowledge base."""
    cases = sorted(set(graph.subjects(RDF.type, DORSUM.Case)), key=str)
    if not cases:
        return [CaseInput(source, source, errors=[error("", None, "no dorsum:Case found in this RDF input")])]
    vocab = case_vocabulary(ctx)
    reached: set = set()
    parts = []
    for case in cases:
        sub = Graph()
        seen, todo = {case}, [case]
        while todo:
            node = todo.pop()
            for s, p, o in graph.triples((node, None, None)):
                sub.add((s, p, o))
                if o not in seen and (isinstance(o, BNode) or (isinstance(o, URIRef) and (o, RDF.type, DORSUM.Case) not in graph
                                                              and str(o).startswith(str(case)))):
                    seen.add(o)
                    todo.append(o)
        reached |= set(sub)
        parts.append((case, sub))
    def shown(term) -> str:
        return "[]" if isinstance(term, BNode) else term.n3()  # a blank node's label is arbitrary
    stray = sorted(" ".join(map(shown, t)) for t in graph if t not in reached)
    out = []
    for case, sub in parts:
        cid = graph.value(case, DORSUM.caseId)
        case_id = str(cid) if cid is not None else str(case).rsplit("/", 1)[-1]
        bad = graph_unicode_errors(sub)
        if bad:  # named by its source: neither its id nor its IRI can be written
            out.append(CaseInput(source if unicode_problem(case_id) else case_id, source, errors=bad))
            continue
        ci = CaseInput(case_id, source, str(case), skolemize(sub, case) if isinstance(case, URIRef) else None)
        if not isinstance(case, URIRef):
            ci.errors.append(error("id", None, "a case must be named by an IRI, not a blank node"))
        else:
            ci.errors.extend(isolation_errors(graph, case, case_id, sub, vocab))
        if stray:
            ci.errors.append(error("", stray[0],
                                   f"the input asserts {len(stray)} triple(s) outside any case (first shown); "
                                   "case files may describe cases but never change the knowledge base"))
        out.append(ci)
    return out


def rdf_file(path: Path, ctx: CaseContext) -> list[CaseInput]:
    with ill_typed_literals_reported():  # a case's typed values are checked by the case shapes
        return _rdf_file(path, ctx)


def _rdf_file(path: Path, ctx: CaseContext) -> list[CaseInput]:
    return _rdf_data(path.read_bytes(), RDF_FORMATS[path.suffix.lower()], printable(str(path)), ctx)


def rdf_text(raw: bytes, fmt: str, source: str, ctx: CaseContext) -> list[CaseInput]:
    """The cases of an RDF document given as bytes (standard input), in rdflib's format `fmt`."""
    with ill_typed_literals_reported():
        return _rdf_data(raw, fmt, source, ctx)


def _rdf_data(raw: bytes, fmt: str, source: str, ctx: CaseContext) -> list[CaseInput]:
    try:
        data = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [CaseInput(source, source, errors=[error("", None, f"not UTF-8 text: {exc}")])]
    data = data.replace("\r\n", "\n").replace("\r", "\n")  # universal newlines, as a file read as text
    g = Graph()
    if fmt == "json-ld":
        try:
            doc = parse_json(data)
        except (ValueError, RecursionError) as exc:
            return [CaseInput(source, source, errors=[error("", None, f"malformed JSON: {exc}")])]
        problems = json_problems(doc)  # before rdflib, which would read a repeated key last-wins
        if problems:
            return [CaseInput(source, source, errors=problems)]
        remote = remote_contexts(doc)
        if remote:
            return [remote_context_refused(source, remote[0])]
        data = json.dumps(_inline_shipped_context(doc, ctx))
    try:
        g.parse(data=data, format=fmt)
    except Exception as exc:
        return [CaseInput(source, source, errors=[error("", None, f"malformed {fmt}: {exc}".strip()[:500])])]
    return rdf_cases(g, source, ctx)


def graph_unicode_errors(graph: Graph) -> list[dict]:
    """An error for each triple of a case with a term that is not valid Unicode (an IRI, a literal,
    its language or datatype, a blank node label: e.g. an N-Triples or Turtle "\\uD800" escape),
    naming the triple with that character escaped (sorted, at most MAX_ISOLATION_ERRORS). Such a
    triple outside every case is reported as any triple outside the cases is."""
    rows = set()
    for t in graph:
        for role, term in zip(("subject", "predicate", "object"), t):
            parts = [str(term)] + ([str(term.language or ""), str(term.datatype or "")] if hasattr(term, "language") else [])
            why = next((w for w in map(unicode_problem, parts) if w), None)
            if why:
                shown = " ".join(x.n3() if not isinstance(x, BNode) else "[]" for x in t)
                rows.add((printable(shown), role, why))
    errs = [error("", shown, f"the {role} of this triple {why}") for shown, role, why in sorted(rows)]
    if len(errs) > MAX_ISOLATION_ERRORS:
        errs = errs[:MAX_ISOLATION_ERRORS] + [error("", None, f"and {len(errs) - MAX_ISOLATION_ERRORS} more triple(s) like these")]
    return errs


# ---------------------------------------------------------------- blank nodes

def skolemize(graph: Graph, root: URIRef) -> Graph:
    """Name every blank node by its path from the case (case/lump, case/skinMarkers/rest, ...),
    so the same input always gives the same IRIs and byte-identical output."""
    out = Graph()
    names: dict = {root: root}
    todo = [root]
    while todo:
        node = todo.pop(0)
        by_pred: dict = {}
        for p, o in sorted(graph.predicate_objects(node), key=lambda po: (str(po[0]), isinstance(po[1], BNode), str(po[1]))):
            if isinstance(o, BNode):
                by_pred.setdefault(p, []).append(o)
                continue
            out.add((names[node], p, o))
            if isinstance(o, URIRef) and o not in names and (o, None, None) in graph:
                names[o] = o  # a node named by an IRI (RDF input): keep its name, follow its triples
                todo.append(o)
        for p, bnodes in by_pred.items():
            local = str(p).rsplit("/", 1)[-1].rsplit("#", 1)[-1]
            ordered = sorted(bnodes, key=lambda b: sorted((str(q), "" if isinstance(v, BNode) else str(v))
                                                         for q, v in graph.predicate_objects(b)))
            for i, b in enumerate(ordered):
                if b not in names:
                    names[b] = URIRef(f"{names[node]}/{local}" + (f"-{i + 1}" if len(ordered) > 1 else ""))
                    todo.append(b)
                out.add((names[node], p, names[b]))
    return out


# ---------------------------------------------------------------- sources

def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files first as given, directories expanded to their input files in name order."""
    out = []
    for p in map(Path, paths):
        if str(p) == STDIN:
            out.append(p)
        elif p.is_dir():
            out.extend(sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in INPUT_SUFFIXES))
        else:
            out.append(p)
    return out


@dataclass(frozen=True)
class Record:
    """One unit of input, read but not parsed: a JSON document or .jsonl line (text), an RDF file
    (path only), or what went wrong reading it (error). Reading is cheap and in input order;
    parsing a record into cases (record_cases) can happen elsewhere, e.g. in a worker process."""

    source: str
    path: str
    text: bytes | None = None
    rdf: bool = False
    error: dict | None = None
    line: int | None = None  # the line of a JSON Lines file, which must hold one case
    rdf_format: str | None = None  # RDF read from standard input (text holds it): rdflib's format name


def read_cases(paths: Iterable[str | Path], context_path: str | Path, stdin_format: str = "json") -> Iterator[CaseInput]:
    """Every case of every input, in input order, each id used once (a repeated id is an error on
    the later case: the store keeps one graph per id). Streams .jsonl line by line. The path "-"
    is standard input, in `stdin_format` (see read_records)."""
    ctx = load_context(str(context_path))
    ids = CaseIds()
    for record in read_records(paths, stdin_format):
        for ci in record_cases(record, ctx):
            repeated = ids.repeated(ci)
            if repeated is not None:
                ci.errors.append(repeated)
                ci.graph = None
            yield ci


class CaseIds:
    """The case ids of one input so far: a later case with an id already used is in error."""

    def __init__(self):
        self.seen: dict[str, str] = {}
        self.iris: dict[str, str] = {}  # two cases with one IRI would share their nodes in a batch

    @staticmethod
    def has_identity(ci: CaseInput) -> bool:
        """A case whose id counts (not one that failed before an id could be read)."""
        return ci.iri is not None or ci.graph is not None or not ci.errors

    def repeated(self, ci: CaseInput, has_identity: bool | None = None) -> dict | None:
        if not (self.has_identity(ci) if has_identity is None else has_identity):
            return None
        first = self.seen.setdefault(ci.case_id, ci.source)
        if first != ci.source:
            return error("id", ci.case_id, f"case id '{ci.case_id}' is already used by {first} in this input; ids must be unique")
        if ci.iri is not None:
            first = self.iris.setdefault(ci.iri, ci.source)
            if first != ci.source:
                return error("id", ci.iri, f"case IRI <{ci.iri}> is already used by {first} in this input; "
                                           "each case needs its own IRI")
        return None


def _read_lines(fh, limit: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) for each line; None for a line longer than `limit`, which is skipped
    in bounded pieces so memory never holds it whole."""
    n = 0
    while True:
        raw = fh.readline(limit + 1)
        if not raw:
            return
        n += 1
        if len(raw) > limit and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = fh.readline(1 << 20)
            yield n, None
            continue
        yield n, raw


def _lines(fh, source: str, path: str) -> Iterator[Record]:
    for n, raw in _read_lines(fh, MAX_CASE_BYTES):
        if raw is None:
            yield Record(f"{source}:{n}", path, error=error(
                "", None, f"line {n} is longer than {MAX_CASE_BYTES} bytes; a case is about 1 kB"))
            continue
        if not raw.strip():
            continue
        yield Record(f"{source}:{n}", path, text=raw, line=n)


def _one_json_document(data: bytes) -> bool:
    """Whether standard input in the default `json` format is one JSON document (a case, or a list
    of cases) rather than JSON Lines: decided by parsing, as json.loads reads it."""
    try:
        json.loads(data)
        return True
    except json.JSONDecodeError as exc:
        return not exc.msg.startswith("Extra data")  # anything else is that document's own error
    except (ValueError, RecursionError):
        return True


def stdin_records(stdin_format: str) -> Iterator[Record]:
    """Standard input as records: `jsonl` streamed line by line; `json` one JSON document, or JSON
    Lines when it holds several; `turtle`, `ntriples`, `jsonld` one RDF document."""
    import io
    import sys

    buffer = sys.stdin.buffer
    if stdin_format == "jsonl":
        yield from _lines(buffer, STDIN_SOURCE, STDIN)
        return
    data = buffer.read(MAX_JSON_FILE_BYTES + 1)
    if len(data) > MAX_JSON_FILE_BYTES:
        yield Record(STDIN_SOURCE, STDIN, error=error("", None, f"standard input is larger than {MAX_JSON_FILE_BYTES} "
                                                      "bytes; send many cases as JSON Lines (--stdin-format jsonl)"))
        return
    fmt = STDIN_FORMATS[stdin_format]
    if fmt is not None:
        yield Record(STDIN_SOURCE, STDIN, text=data, rdf=True, rdf_format=fmt)
    elif _one_json_document(data):
        yield Record(STDIN_SOURCE, STDIN, text=data)
    else:
        yield from _lines(io.BytesIO(data), STDIN_SOURCE, STDIN)


def read_records(paths: Iterable[str | Path], stdin_format: str = "json") -> Iterator[Record]:
    """The input's records in order (see Record), streaming .jsonl line by line."""
    for path in expand_paths(paths):
        if str(path) == STDIN:
            yield from stdin_records(stdin_format)
            continue
        source = printable(str(path))  # a file name in another encoding holds surrogates (surrogateescape)
        suffix = path.suffix.lower()
        if not path.exists():
            yield Record(source, str(path), error=error("", source, "no such file"))
            continue
        if suffix in RDF_FORMATS and suffix != ".jsonld":
            yield Record(source, str(path), rdf=True)
            continue
        if suffix in JSONL_SUFFIXES:
            with open(path, "rb") as fh:
                yield from _lines(fh, source, str(path))
            continue
        if suffix in JSON_SUFFIXES | {".jsonld"} and path.stat().st_size > MAX_JSON_FILE_BYTES:
            yield Record(source, str(path), error=error("", None, f"file is larger than {MAX_JSON_FILE_BYTES} bytes; "
                                                               "send many cases as JSON Lines (.jsonl), one case a line"))
            continue
        if suffix in JSON_SUFFIXES | {".jsonld"}:
            yield Record(source, str(path), text=path.read_bytes())
            continue
        yield Record(source, str(path), error=error("", source,
                     f"unsupported input type '{suffix}'; expected one of {', '.join(sorted(INPUT_SUFFIXES))}"))


def record_cases(record: Record, ctx: CaseContext) -> Iterator[CaseInput]:
    """The cases of one record (without the check for ids repeated across records: CaseIds)."""
    if record.error is not None:
        yield CaseInput(record.source, record.source, errors=[record.error])
    elif record.rdf and record.rdf_format is not None:
        yield from rdf_text(record.text, record.rdf_format, record.source, ctx)
    elif record.rdf:
        yield from rdf_file(Path(record.path), ctx)
    else:
        yield from _json_text(record.text, record.source, ctx, Path(record.path), record.line)


def _json_text(raw: bytes, source: str, ctx: CaseContext, path: Path, line: int | None = None) -> Iterator[CaseInput]:
    where = "" if line is None else f"line {line}: "
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        yield CaseInput(source, source, errors=[error("", None, f"{where}not UTF-8 text: {exc}")])
        return
    try:
        obj = parse_json(text)
    except (ValueError, RecursionError) as exc:
        yield CaseInput(source, source, errors=[error("", text.strip()[:80], f"{where}malformed JSON: {exc}")])
        return
    if line is not None and not isinstance(obj, dict):
        # a JSON Lines file holds one case a line: `[]`, `3`, `"x"` or `null` is that line's error
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(obj), "a number")
        yield CaseInput(source, source, errors=[error("", "null" if obj is None else obj, f"line {line} is {kind}, not a case: each line of a "
                                                               "JSON Lines file must be one case, a JSON object")])
        return
    if isinstance(obj, dict) and "@context" in obj:
        yield from rdf_file(path, ctx) if path.suffix.lower() == ".jsonld" else _jsonld_obj(obj, source, ctx)
        return
    items = obj if isinstance(obj, list) else [obj]
    for i, item in enumerate(items):
        yield flat_case(item, f"{source}[{i}]" if isinstance(obj, list) else source, ctx)


def _jsonld_obj(obj: dict, source: str, ctx: CaseContext) -> Iterator[CaseInput]:
    with ill_typed_literals_reported():
        cases = list(_jsonld_cases(obj, source, ctx))
    yield from cases


def _jsonld_cases(obj: dict, source: str, ctx: CaseContext) -> Iterator[CaseInput]:
    problems = json_problems(obj)
    if problems:
        yield CaseInput(source, source, errors=problems)
        return
    remote = remote_contexts(obj)
    if remote:
        yield remote_context_refused(source, remote[0])
        return
    g = Graph()
    try:
        g.parse(data=json.dumps(_inline_shipped_context(obj, ctx)), format="json-ld")
    except Exception as exc:
        yield CaseInput(source, source, errors=[error("", None, f"malformed JSON-LD: {exc}")])
        return
    yield from rdf_cases(g, source, ctx)
