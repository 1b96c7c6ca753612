"""`dorsum test-rules`: run the rule test manifests, a line per entry, a diff on failure."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import main
from .options import DEFAULT_MANIFEST, kb_option


@main.command("test-rules")
@click.argument("manifests", nargs=-1, type=click.Path(dir_okay=False, exists=True))
@click.option("-k", "select", default=None, help="Run only entries whose name contains this text.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--earl", type=click.Path(dir_okay=False), default=None,
              help="Also write the outcomes as a W3C EARL report (Turtle) to this file.")
@kb_option
def test_rules_cmd(manifests, select, fmt, earl, kb_root):
    """Run every rule test manifest (default: tests/manifests/manifest.ttl of the knowledge base).

    Exit 0 when every entry passes, 1 when one fails, 2 when a manifest cannot be read or breaks
    shapes/test-manifest.ttl."""
    from ..pipeline import Classifier
    from ..kb.manifests import ManifestError, anchor_for, earl_report, read_manifest, require_included, run, validate_entries
    from ..results.serialize import bind_prefixes, graph_text

    clf = Classifier(kb_root=kb_root)
    root = clf.kb.paths.root
    paths = [Path(m) for m in manifests] or [root / DEFAULT_MANIFEST]
    entries = []
    try:
        for m in paths:
            read = read_manifest(m, anchor_for(m, root))
            problems = validate_entries(read, clf.kb)
            if problems:
                raise ManifestError(f"{m} breaks shapes/test-manifest.ttl:\n  " + "\n  ".join(problems))
            entries += read
        if not manifests:
            require_included(paths[0], entries, anchor_for(paths[0], root))
    except ManifestError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if select:
        entries = [e for e in entries if select in e.name]
    outcomes = run(entries, clf)
    failed = [o for o in outcomes if not o.passed]
    if fmt == "json":
        click.echo(json.dumps({
            "knowledge_base": {"version": clf.kb.version, "sha256": clf.kb.sha256},
            "passed": len(outcomes) - len(failed), "failed": len(failed),
            "tests": [{"entry": o.entry.iri, "name": o.entry.name, "outcome": "passed" if o.passed else "failed",
                       "problems": o.problems} for o in outcomes],
        }, indent=2, sort_keys=False))
    else:
        for o in outcomes:
            click.echo(f"{'PASS' if o.passed else 'FAIL'}  {o.entry.label}")
            if not o.passed:
                click.echo(f"      {o.entry.comment}")
                for p in o.problems:
                    click.echo(f"      - {p}")
        click.echo(f"{len(outcomes)} tests: {len(outcomes) - len(failed)} passed, {len(failed)} failed "
                   f"(knowledge base {clf.kb.version}, sha256 {clf.kb.sha256[:12]})")
    if earl:
        Path(earl).write_text(graph_text(bind_prefixes(earl_report(outcomes, clf.kb)), "turtle"), encoding="utf-8")
    sys.exit(1 if failed else 0)

