"""`dorsum validate` and `dorsum classify`: cases in, one result per case out, in input order."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import click

from . import main
from .options import kb_option, stdin_format_option

# files, directories, or '-' for standard input (--stdin-format)
INPUTS = click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, allow_dash=True))


def single_case_input(inputs, stdin_format: str = "json") -> bool:
    """One .json file (not a directory, not .jsonl), or standard input that is not JSON Lines,
    gives one pretty JSON object when it holds one case; all else JSON Lines."""
    if len(inputs) != 1:
        return False
    if inputs[0] == "-":
        return stdin_format != "jsonl"
    return Path(inputs[0]).is_file() and Path(inputs[0]).suffix.lower() in {".json", ".ttl", ".jsonld", ".nt"}


@contextmanager
def output(path):
    if path in (None, "-"):
        yield sys.stdout
    else:
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            yield fh


@main.command("validate")
@INPUTS
@click.option("--format", "fmt", type=click.Choice(["text", "json", "turtle"]), default="text", show_default=True,
              help="text: a line per problem; json: a JSON object per case (JSON Lines: case, conforms, errors); "
                   "turtle: a standard sh:ValidationReport per case, as pySHACL writes.")
@stdin_format_option
@kb_option
def validate_cmd(inputs, fmt, stdin_format, kb_root):
    """Validate cases only (SHACL case shapes); print each problem; exit 1 if any case is invalid."""
    from ..pipeline import Classifier
    from ..results.view import dumps

    clf = Classifier(kb_root=kb_root)
    n = bad = 0
    report = None
    if fmt == "turtle":
        from rdflib import Graph
        report = Graph()
    for ci in clf.inputs(inputs, stdin_format):
        n += 1
        errors = clf.validate(ci)
        bad += bool(errors)
        if fmt == "json":
            click.echo(dumps({"case": ci.case_id, "conforms": not errors, "errors": errors}, pretty=False))
        elif fmt == "turtle":
            results = clf.validator.results_many([ci])[0] if ci.graph is not None else None
            report += clf.validator.report_graph(ci, errors, results)
        elif errors:
            for e in errors:
                value = "" if e["value"] is None else f" = {e['value']}"
                click.echo(f"{ci.case_id}: {e['path'] or '(case)'}{value}: {e['message']}")
        else:
            click.echo(f"{ci.case_id}: valid")
    if report is not None:
        from ..results.serialize import graph_text
        click.echo(graph_text(report, "turtle"), nl=False)
    click.echo(f"{n} case(s), {n - bad} valid, {bad} invalid", err=True)
    sys.exit(1 if bad else 0)


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
    from ..repro.canonical import canonical_nquads, canonical_sha256
    from ..results.view import dumps
    from ..repro.run_manifest import add_case, case_record, sha256_text
    from ..results.serialize import graph_text, merge
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


@main.command("classify")
@INPUTS
@click.option("--format", "fmt", type=click.Choice(["json", "turtle", "jsonld", "nquads"]), default="json", show_default=True,
              help="json: the result view; turtle/jsonld: the result graphs with their PROV-O provenance; "
                   "nquads: the same graphs as RDFC-1.0 canonical N-Quads.")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file instead of standard output (not an input, nor a case file inside an input "
                   "directory: refused, exit 2).")
@click.option("--manifest", "manifest", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Also write a run manifest (versions, SHA-256 of every knowledge-base file, input and "
                   "the output, per-case conclusions) that `dorsum verify` can check.")
@stdin_format_option
@kb_option
def classify_cmd(inputs, fmt, out, manifest, stdin_format, kb_root):
    """Classify cases: urgency, actions, warnings, differential, risk factors and missing findings,
    each with the rule, statements and references behind it. One JSON object for a single case,
    JSON Lines (input order) for several. Exit 0 if all were classified, 1 if any was invalid."""
    from ..pipeline import Classifier
    from ..repro.run_manifest import RunRecord, write
    from .guards import refuse_output_read_as_input

    if manifest and "-" in inputs:
        raise click.UsageError("--manifest needs input files that `dorsum verify` can read and hash again, "
                               "not standard input ('-'): save the input to a file first")
    refuse_output_read_as_input(out, inputs)  # e.g. `classify DIR -o DIR/results.jsonl` would read it back forever
    refuse_output_read_as_input(manifest, inputs, "manifest")
    clf = Classifier(kb_root=kb_root)
    cases: dict | None = {} if manifest else None
    with output(out) as fh:
        sink = HashingWriter(fh)
        invalid, canonical = write_classification(clf, inputs, fmt, sink, cases, stdin_format)
    if manifest:
        from ..repro.run_manifest import rel
        mdir = Path(manifest).resolve().parent
        record = RunRecord("classify", {"format": fmt}, [Path(p) for p in inputs], cases=cases, output={
            "path": rel(Path(out), mdir) if out not in (None, "-") else None, "format": fmt,
            "sha256": sink.h.hexdigest(), "bytes": sink.bytes,
            "canonical_sha256": canonical, "canonicalization": "RDFC-1.0" if canonical else None,
            "cases": len(cases), "invalid": invalid})
        write(Path(manifest), record, clf.kb)
    sys.exit(1 if invalid else 0)
