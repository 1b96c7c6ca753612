"""Intake: turn input files into case graphs, one CaseInput per input case, never fewer.

Inputs are the flat JSON form (a .json object or array, or .jsonl lines), which is JSON-LD under
the shipped context (context/case.context.jsonld), or RDF (Turtle, N-Triples, JSON-LD) using the
ontology's vocabulary. Whatever goes wrong with one case (malformed JSON, an unknown key, a missing
id, a remote context) becomes errors on that case's result; the batch goes on.

This module reads the inputs (files, directories, standard input) into records and records into
cases; the readers of each form are flat (flat JSON), rdf (RDF and JSON-LD documents) and
json_text (JSON itself), and ids decides which case keeps an id given twice. The names other
subsystems use are importable from here.

Nothing here reaches the network: rdflib's Turtle parser never follows owl:imports, and any
JSON-LD @context or @import other than the shipped context is refused before parsing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from .case_input import CaseInput, Partial, case_iri
from .context import CaseContext, load_context
from .flat import flat_case, jsonld_case, read_flat, unknown_keys
from .ids import CaseIds
from .json_text import parse_json
from .problems import error, printable, unicode_problem
from .rdf import RDF_FORMATS, jsonld_document_cases, rdf_cases, rdf_file, rdf_text

__all__ = ["CaseIds", "CaseInput", "Partial", "Record", "case_iri", "error", "expand_paths", "flat_case",
           "jsonld_case", "parse_json", "printable", "rdf_cases", "read_cases", "read_flat", "read_records",
           "record_cases", "unicode_problem", "unknown_keys"]

JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
INPUT_SUFFIXES = JSON_SUFFIXES | JSONL_SUFFIXES | set(RDF_FORMATS)
STDIN = "-"  # an input path that means standard input, read as STDIN_FORMATS says
STDIN_FORMATS = {"json": None, "jsonl": None, "turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld"}
STDIN_SOURCE = "<stdin>"
MAX_CASE_BYTES = 1_000_000  # one case is about 1 kB; a larger line is refused, read in bounded pieces
MAX_JSON_FILE_BYTES = 50_000_000  # a .json document is read whole; larger inputs belong in JSON Lines


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


def read_cases(paths: Iterable[str | Path], context: CaseContext | str | Path,
               stdin_format: str = "json") -> Iterator[CaseInput]:
    """Every case of every input, in input order, each id used once (a repeated id is an error on
    the later case: the store keeps one graph per id). Streams .jsonl line by line. The path "-"
    is standard input, in `stdin_format` (see read_records). `context`: the parsed case context, or
    the path of one to parse."""
    ctx = context if isinstance(context, CaseContext) else load_context(context)
    ids = CaseIds()
    for record in read_records(paths, stdin_format):
        for ci in record_cases(record, ctx):
            ids.check(ci)
            yield ci


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
        yield from rdf_file(path, ctx) if path.suffix.lower() == ".jsonld" else jsonld_document_cases(obj, source, ctx)
        return
    items = obj if isinstance(obj, list) else [obj]
    for i, item in enumerate(items):
        yield flat_case(item, f"{source}[{i}]" if isinstance(obj, list) else source, ctx)
