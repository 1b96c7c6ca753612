"""RDF cases: Turtle, N-Triples and JSON-LD documents split into their cases.

A document may hold many dorsum:Case nodes; each becomes one CaseInput with the triples it reaches
(isolation says which it may), and a triple outside every case is an error on each case. JSON-LD
is checked as JSON first (a repeated key, a string that is not valid Unicode), and any @context
or @import other than the shipped context is refused, never fetched.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF

from ..namespaces import DORSUM
from .case_input import CaseInput
from .context import CONTEXT_IRI, CaseContext
from .graphs import ill_typed_literals_reported, skolemize
from .isolation import MAX_ISOLATION_ERRORS, case_vocabulary, isolation_errors, shown_term
from .json_text import json_problems, parse_json
from .problems import error, printable, unicode_problem

RDF_FORMATS = {".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld"}


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
    stray = sorted(" ".join(map(shown_term, t)) for t in graph if t not in reached)
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
                shown = " ".join(map(shown_term, t))
                rows.add((printable(shown), role, why))
    errs = [error("", shown, f"the {role} of this triple {why}") for shown, role, why in sorted(rows)]
    if len(errs) > MAX_ISOLATION_ERRORS:
        errs = errs[:MAX_ISOLATION_ERRORS] + [error("", None, f"and {len(errs) - MAX_ISOLATION_ERRORS} more triple(s) like these")]
    return errs


def jsonld_document_cases(obj: dict, source: str, ctx: CaseContext) -> Iterator[CaseInput]:
    """The cases of a JSON-LD document found in a .json file or on standard input (it has an
    @context), read as RDF."""
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
