"""`dorsum explain`: a report for each case with its proof DAG, as text, JSON or HTML."""

from __future__ import annotations

import sys

import click

from . import main
from .options import kb_option, stdin_format_option


@main.command("explain")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True,
              help="text: the readable report; json: the result JSON with its proof DAG under \"proof\" "
                   "(one object, or JSON Lines for several cases; what the workbench page renders); "
                   "html: one self-contained page.")
@stdin_format_option
@kb_option
def explain_cmd(inputs, fmt, stdin_format, kb_root):
    """Explain the classification of each case of the inputs (files, directories, or '-' for
    standard input): conclusions, then the proof (conclusion <- rule <- premises <- input
    findings) with each shared step shown once and referred back to, evidence status and recorded
    conflicts, then statements and references. Exit 1 if any case is invalid."""
    from ..pipeline import Classifier
    from ..results.explained import explain_html, explained
    from ..results.report import render_report
    from ..results.view import dumps

    clf = Classifier(kb_root=kb_root)
    results = list(clf.classify_paths(inputs, stdin_format))
    if fmt == "text":
        for r in results:
            render_report(r, clf)
    elif fmt == "json":
        items = [explained(r, clf.view) for r in results]
        if len(items) == 1:
            click.echo(dumps(items[0]))
        else:
            for item in items:
                click.echo(dumps(item, pretty=False))
    else:
        click.echo(explain_html([explained(r, clf.view) for r in results]), nl=False)
    sys.exit(0 if all(r.ok for r in results) else 1)
