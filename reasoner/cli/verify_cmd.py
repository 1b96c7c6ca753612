"""`dorsum verify RUN.json`: re-run a recorded classification and prove it reproduces, or say
exactly which file hash or which case conclusion differs."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import main
from .options import checked_kb


def _rerun_classify(clf, inputs, options):
    from ..classify_output import HashingWriter, write_classification
    sink, cases = HashingWriter(None), {}
    _, canonical = write_classification(clf, inputs, options["format"], sink, cases)
    return sink.h.hexdigest(), canonical, cases


def _rerun_load(clf, inputs, options):
    from ..store.bulk_load import load_digest
    return load_digest(clf, inputs, options)


@main.command("verify")
@click.argument("manifest", type=click.Path(dir_okay=False, exists=True))
@click.option("--kb", "kb_root", type=click.Path(), default=None, callback=checked_kb,
              help="Knowledge base to re-run with (default: the root recorded in the manifest).")
def verify_cmd(manifest, kb_root):
    """Check every recorded file hash (knowledge base and inputs), re-run the recorded command and
    compare the output's SHA-256 and each case's recorded conclusions (always, whatever the hashes).
    Exit 0 when the output is byte-identical and no file changed, 1 when anything differs, 2 when
    the manifest is unusable (not a manifest, a key missing or of the wrong type) or its knowledge
    base fails `dorsum check --no-reasoner` (refused before anything of it is run; the knowledge
    base and command to be run are printed first)."""
    from ..repro.verify import VerifyError, plan, refuse_unchecked, verify

    try:
        p = plan(Path(manifest), kb_root)
        doc = p.doc
        # say what will be run before anything of the knowledge base is run
        click.echo(f"re-running: dorsum {doc['command']} on {len(p.inputs)} recorded input(s) with the knowledge base "
                   f"at {p.root.resolve()}" + (" (from --kb)" if p.from_option else " (recorded in the manifest)"))
        refuse_unchecked(p)
        result = verify(p, {"classify": _rerun_classify, "load": _rerun_load})
    except VerifyError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.code)

    click.echo(f"run of {doc['created']}: dorsum {doc['command']}, knowledge base {doc['knowledge_base']['version']} "
               f"sha256 {doc['knowledge_base']['sha256'][:12]}, {len(doc.get('cases', {}))} case(s)")
    for n in result.notes:
        click.echo(f"  warning: environment differs: {n}")
    for problem in result.problems:
        click.echo(f"  DIFFERS: {problem}")
    if result.problems:
        click.echo(f"NOT REPRODUCED: {len(result.problems)} difference(s)")
        sys.exit(1)
    what = "output byte-identical" if doc["command"] == "classify" else "every stored case graph identical"
    click.echo(f"REPRODUCED: {what} (sha256 {result.sha256[:12]}), {len(result.cases)} case(s) with the same "
               f"conclusions, every knowledge-base and input file unchanged")
