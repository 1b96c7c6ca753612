"""`dorsum validate` and `dorsum classify`: cases in, one result per case out, in input order."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import click

from . import main
from .options import kb_option

INPUTS = click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, allow_dash=False))


def single_case_input(inputs) -> bool:
    """One .json file (not a directory, not .jsonl) gives one pretty JSON object; all else JSON Lines."""
    return len(inputs) == 1 and Path(inputs[0]).is_file() and Path(inputs[0]).suffix.lower() in {".json", ".ttl", ".jsonld", ".nt"}


@contextmanager
def output(path):
    if path in (None, "-"):
        yield sys.stdout
    else:
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            yield fh


@main.command("validate")
@INPUTS
@kb_option
def validate_cmd(inputs, kb_root):
    """Validate cases only (SHACL case shapes); print each problem; exit 1 if any case is invalid."""
    from ..classify import Classifier

    clf = Classifier(kb_root=kb_root)
    n = bad = 0
    for ci in clf.inputs(inputs):
        n += 1
        errors = clf.validate(ci)
        if errors:
            bad += 1
            for e in errors:
                value = "" if e["value"] is None else f" = {e['value']}"
                click.echo(f"{ci.case_id}: {e['path'] or '(case)'}{value}: {e['message']}")
        else:
            click.echo(f"{ci.case_id}: valid")
    click.echo(f"{n} case(s), {n - bad} valid, {bad} invalid", err=True)
    sys.exit(1 if bad else 0)


@main.command("classify")
@INPUTS
@click.option("--format", "fmt", type=click.Choice(["json", "turtle", "jsonld"]), default="json", show_default=True,
              help="json: the result view; turtle/jsonld: the result graphs with their PROV-O provenance.")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file instead of standard output.")
@kb_option
def classify_cmd(inputs, fmt, out, kb_root):
    """Classify cases: urgency, actions, warnings, differential, risk factors and missing findings,
    each with the rule, statements and references behind it. One JSON object for a single case,
    JSON Lines (input order) for several. Exit 0 if all were classified, 1 if any was invalid."""
    from ..classify import Classifier
    from ..results import dumps
    from ..serialize import graph_text, merge

    clf = Classifier(kb_root=kb_root)
    results = clf.classify_paths(inputs)
    invalid = 0
    with output(out) as fh:
        if fmt == "json":
            if single_case_input(inputs):
                collected = list(results)
                invalid = sum(not r.ok for r in collected)
                if len(collected) == 1:
                    fh.write(dumps(collected[0].json) + "\n")
                else:
                    for r in collected:
                        fh.write(dumps(r.json, pretty=False) + "\n")
            else:
                for r in results:
                    invalid += not r.ok
                    fh.write(dumps(r.json, pretty=False) + "\n")
                    fh.flush()
        else:
            collected = list(results)
            invalid = sum(not r.ok for r in collected)
            fh.write(graph_text(merge(r.graph for r in collected), fmt))
    sys.exit(1 if invalid else 0)
