"""`dorsum coverage`: statements -> rules -> test cases, with the gaps."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import main
from .options import kb_option


@main.command("coverage")
@click.option("--tests", "tests_dir", type=click.Path(file_okay=False, exists=True), default=None,
              help="Directory of test cases (default: tests/vignettes of the knowledge base).")
@kb_option
def coverage_cmd(tests_dir, kb_root):
    """Report every recommendation and the rules implementing it, every rule and the test cases
    exercising it, and the informational statements; exit 1 on a recommendation with no rule or a
    rule with no test."""
    from ..classify import Classifier
    from ..coverage import compute, render

    clf = Classifier(kb_root=kb_root)
    tests = Path(tests_dir) if tests_dir else clf.kb.paths.root / "tests" / "vignettes"
    cov = compute(clf, tests)
    click.echo(render(cov, clf.kb.graph), nl=False)
    sys.exit(1 if cov.gaps else 0)
