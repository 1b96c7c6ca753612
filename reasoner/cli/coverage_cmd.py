"""`dorsum coverage`: statements -> rules -> test cases, with the gaps."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import main
from .options import DEFAULT_MANIFEST, kb_option


@main.command("coverage")
@click.option("--manifest", type=click.Path(dir_okay=False, exists=True), default=None,
              help=f"Rule test manifest (default: {DEFAULT_MANIFEST.as_posix()} of the knowledge base).")
@click.option("--tests", "tests_dir", type=click.Path(file_okay=False, exists=True), default=None,
              help="Instead of a manifest, a directory of case files, each a test case named by its file.")
@kb_option
def coverage_cmd(manifest, tests_dir, kb_root):
    """Report every recommendation and the rules implementing it, every rule with the manifest
    entries exercising it (those naming it by dt:rule listed), and the informational statements;
    exit 1 on a recommendation with no rule, a rule with no test or a dt:rule naming no active rule."""
    from ..pipeline import Classifier
    from ..kb.coverage import compute, render
    from ..kb.manifests import anchor_for, read_manifest

    clf = Classifier(kb_root=kb_root)
    root = clf.kb.paths.root
    declared = None
    if tests_dir:
        tests = [(p.stem, p) for p in sorted(Path(tests_dir).glob("*.json"))]
    else:
        path = Path(manifest) if manifest else root / DEFAULT_MANIFEST
        entries = read_manifest(path, anchor_for(path, root))
        tests = [(e.name, e.action) for e in entries]
        declared = {e.name: e.rules for e in entries}
    cov = compute(clf, tests, declared)
    click.echo(render(cov, clf.kb.graph), nl=False)
    sys.exit(1 if cov.gaps else 0)
