"""`dorsum diff`: classify a case corpus with two knowledge bases and report what changed."""

from __future__ import annotations

import json
import sys

import click

from . import main
from .options import kb_option, output


@main.command("diff")
@click.option("--base", "base", required=True, metavar="REF|DIR",
              help="The knowledge base to compare against: a git ref (tag, branch, commit, HEAD~1) of the "
                   "repository holding the knowledge base, or a knowledge-base directory.")
@click.option("--cases", "cases", required=True, type=click.Path(exists=True), metavar="DIR",
              help="The case corpus: a directory or file of cases (.json, .jsonl, RDF).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="table: a report for a terminal; json: deterministic (sorted keys, no timestamps).")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file instead of standard output.")
@kb_option
def diff_cmd(base, cases, fmt, out, kb_root):
    """Classify the cases with the knowledge base at --base and with the working one (--kb, or the
    checkout) and report every case whose status, urgency, actions (with their within_days),
    warnings, differential, risk factors or missing findings changed, with the rules and the
    statements they implement behind each conclusion that appeared, disappeared or changed; and the
    version and SHA-256 of both sides, the knowledge-base files and rule files that differ, and
    counts of changed, unchanged and invalid cases.

    --base is taken as a directory when it names one holding ontology/; otherwise as a git ref,
    resolved in the repository containing the knowledge base, of which only ontology/, shapes/,
    queries/ and context/ are extracted, to a temporary directory.

    Exit status: 0 when no case changed, 1 when at least one case changed (like
    `git diff --exit-code`), 2 on a usage error (unknown ref, not a git repository, missing
    directory, a knowledge base that does not load)."""
    from ..errors import DorsumError
    from ..repro.impact import diff, render_table

    try:
        report = diff(base, kb_root, [cases])
    except DorsumError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    with output(out) as fh:
        if fmt == "json":
            fh.write(json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        else:
            from rich.console import Console

            console = Console(file=fh, highlight=False)
            if out not in (None, "-") or not console.is_terminal:
                console = Console(file=fh, highlight=False, width=160, no_color=True)
            render_table(report, console)
    sys.exit(1 if report["cases"] else 0)
