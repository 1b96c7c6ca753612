"""`dorsum explain`: a human-readable report for one case, with its proof tree."""

from __future__ import annotations

import sys

import click

from . import main
from .options import kb_option, stdin_format_option


@main.command("explain")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, allow_dash=True))
@stdin_format_option
@kb_option
def explain_cmd(inputs, stdin_format, kb_root):
    """Explain the classification of each case of the inputs (files, directories, or '-' for
    standard input): conclusions, then the proof tree (conclusion <- rule <- premises <- input
    findings), statements and references. Exit 1 if any case is invalid."""
    from ..pipeline import Classifier
    from ..results.report import render_report

    clf = Classifier(kb_root=kb_root)
    results = list(clf.classify_paths(inputs, stdin_format))
    for r in results:
        render_report(r, clf)
    sys.exit(0 if all(r.ok for r in results) else 1)
