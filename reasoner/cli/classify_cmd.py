"""`dorsum validate` and `dorsum classify`: cases in, one result per case out, in input order."""

from __future__ import annotations

import sys

import click

from . import main
from .options import kb_option, output, stdin_format_option

# files, directories, or '-' for standard input (--stdin-format)
INPUTS = click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, allow_dash=True))


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
    from ..classify_output import HashingWriter, write_classification, write_run_manifest
    from ..pipeline import Classifier
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
        write_run_manifest(manifest, clf.kb, inputs, fmt, out, sink, cases, invalid, canonical)
    sys.exit(1 if invalid else 0)
