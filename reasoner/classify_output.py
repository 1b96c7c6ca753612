"""A classification's output as `dorsum classify` writes it: one pretty JSON object for a single
case file, else JSON Lines in input order, or the result graphs as Turtle, JSON-LD or canonical
N-Quads; with the SHA-256 of every byte written and the RDFC-1.0 hash of an RDF output. Outside the
command because `dorsum verify` re-runs a recorded classification through the same code and
compares the hashes, so the two can never write differently.
"""

from __future__ import annotations

from pathlib import Path


def single_case_input(inputs, stdin_format: str = "json") -> bool:
    """One .json file (not a directory, not .jsonl), or standard input that is not JSON Lines,
    gives one pretty JSON object when it holds one case; all else JSON Lines."""
    if len(inputs) != 1:
        return False
    if inputs[0] == "-":
        return stdin_format != "jsonl"
    return Path(inputs[0]).is_file() and Path(inputs[0]).suffix.lower() in {".json", ".ttl", ".jsonld", ".nt"}


class HashingWriter:
    """Writes text through to a file and keeps the SHA-256 of every byte written."""

    def __init__(self, fh):
        import hashlib
        self.fh, self.h, self.bytes = fh, hashlib.sha256(), 0

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        self.h.update(data)
        self.bytes += len(data)
        if self.fh is not None:
            self.fh.write(text)

    def flush(self) -> None:
        if self.fh is not None:
            self.fh.flush()


def write_classification(clf, inputs, fmt: str, fh, cases: dict | None = None,
                         stdin_format: str = "json") -> tuple[int, str | None]:
    """Classify `inputs` and write them to fh in `fmt`; return (invalid cases, RDFC-1.0 SHA-256 of
    the RDF output or None for JSON). With `cases`, record each case's hash and conclusions there."""
    from .repro.canonical import canonical_nquads, canonical_sha256
    from .results.view import dumps
    from .repro.run_manifest import add_case, case_record, sha256_text
    from .results.serialize import graph_text, merge
    from rdflib import Graph

    results = clf.classify_paths(inputs, stdin_format)
    invalid = 0

    def note(r):
        if cases is not None:
            add_case(cases, r.case_id, case_record(r.json, clf.kb.result_kinds))

    if fmt == "json":
        collected = list(results) if single_case_input(inputs, stdin_format) else results
        single = isinstance(collected, list) and len(collected) == 1
        for r in collected:
            invalid += not r.ok
            note(r)
            fh.write(dumps(r.json) + "\n" if single else dumps(r.json, pretty=False) + "\n")
            fh.flush()
        return invalid, None
    collected = list(results)
    for r in collected:
        invalid += not r.ok
        note(r)
    merged = merge(r.graph for r in collected)
    if fmt == "nquads":
        text = canonical_nquads(merged)
        fh.write(text)
        return invalid, sha256_text(text)
    text = graph_text(merged, fmt)
    fh.write(text)
    # the canonical form of the document as written (a reader parses the text, not our graph:
    # Turtle writes the decimal "14" as 14.0, the same value with another lexical form)
    return invalid, canonical_sha256(Graph().parse(data=text, format="json-ld" if fmt == "jsonld" else fmt))


def write_run_manifest(manifest, kb, inputs, fmt: str, out, sink: HashingWriter, cases: dict, invalid: int,
                       canonical: str | None) -> None:
    """The run manifest of a classification written through `sink` (to the file `out`, or standard
    output for None or '-'): what `dorsum verify` re-runs and compares."""
    from .repro.run_manifest import RunRecord, rel, write

    mdir = Path(manifest).resolve().parent
    record = RunRecord("classify", {"format": fmt}, [Path(p) for p in inputs], cases=cases, output={
        "path": rel(Path(out), mdir) if out not in (None, "-") else None, "format": fmt,
        "sha256": sink.h.hexdigest(), "bytes": sink.bytes,
        "canonical_sha256": canonical, "canonicalization": "RDFC-1.0" if canonical else None,
        "cases": len(cases), "invalid": invalid})
    write(Path(manifest), record, kb)
