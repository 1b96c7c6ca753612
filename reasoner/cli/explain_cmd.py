"""`dorsum explain`: a human-readable report for one case, with its proof tree."""

from __future__ import annotations

import sys

import click

from . import main
from .options import kb_option


@main.command("explain")
@click.argument("input_file", type=click.Path(exists=True, dir_okay=False))
@kb_option
def explain_cmd(input_file, kb_root):
    """Explain the classification of one case: conclusions, then the proof tree
    (conclusion <- rule <- premises <- input findings), statements and references."""
    from ..classify import Classifier
    from ..report import render_report

    clf = Classifier(kb_root=kb_root)
    results = list(clf.classify_paths([input_file]))
    for r in results:
        render_report(r, clf)
    sys.exit(0 if all(r.ok for r in results) else 1)
