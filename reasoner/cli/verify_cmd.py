"""`dorsum verify RUN.json`: re-run a recorded classification and prove it reproduces, or say
exactly which file hash or which case conclusion differs."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import main
from .options import checked_kb


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
    from ..pipeline import Classifier
    from ..case.intake import expand_paths
    from ..repro.run_manifest import case_differences, environment, file_differences, kb_files, read, rel, resolve, sha256_file

    path = Path(manifest)
    try:
        doc = read(path)
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    base = path.resolve().parent
    root = Path(kb_root) if kb_root else resolve(doc["knowledge_base"]["root"], base)
    if not (root / "ontology").is_dir():
        click.echo(f"error: knowledge base {root} not found; pass --kb DIR", err=True)
        sys.exit(2)
    inputs = [resolve(a, base) for a in doc["inputs"]["arguments"]]
    # say what will be run before anything of the knowledge base is run, and refuse one whose
    # rules fail `dorsum check --no-reasoner` (a manifest may name any directory as its knowledge base)
    click.echo(f"re-running: dorsum {doc['command']} on {len(inputs)} recorded input(s) with the knowledge base at "
               f"{root.resolve()}" + (" (from --kb)" if kb_root else " (recorded in the manifest)"))
    from ..qa.check import run_check
    report = run_check(root, reasoner=False)
    if not report.ok:
        errors = [p for p in report.problems if p.severity == "ERROR"]
        click.echo(f"error: refused: the knowledge base at {root.resolve()} fails `dorsum check --no-reasoner` "
                   f"({len(errors)} error(s), first: {' '.join(errors[0].line().split())[:300]}); nothing was run",
                   err=True)
        sys.exit(2)
    problems: list[str] = []
    notes: list[str] = []

    problems += file_differences(doc["knowledge_base"]["files"], kb_files(root), "knowledge-base")
    missing_args = [str(p) for p in inputs if not p.exists()]
    if missing_args:
        click.echo("error: recorded input no longer exists: " + ", ".join(missing_args), err=True)
        sys.exit(1)
    current_inputs = {rel(p, base): sha256_file(p) for p in expand_paths(inputs)}
    problems += file_differences(doc["inputs"]["files"], current_inputs, "input")

    from .. import __version__
    env = environment()
    if doc.get("dorsum_version") != __version__:
        notes.append(f"dorsum version {__version__}, recorded {doc.get('dorsum_version')}")
    recorded = doc.get("environment", {}).get("packages", {})
    for lib in sorted(set(recorded) | set(env["packages"]) if recorded else ()):
        now, then = env["packages"].get(lib), recorded.get(lib)
        if now != then:  # another library can change a result: say so, but the hashes decide
            notes.append(f"{lib} {now or 'not installed'}, recorded {then or 'not installed'}")
    if doc.get("environment", {}).get("python") != env["python"]:
        notes.append(f"Python {env['python']}, recorded {doc['environment'].get('python')}")

    clf = Classifier(kb_root=root)
    rec_out = doc["output"]
    cases: dict = {}
    if doc["command"] == "classify":
        from ..classify_output import HashingWriter, write_classification
        sink = HashingWriter(None)
        _, canonical = write_classification(clf, inputs, doc["options"]["format"], sink, cases)
        got_sha = sink.h.hexdigest()
    elif doc["command"] == "load":
        from ..store.bulk_load import load_digest
        got_sha, canonical, cases = load_digest(clf, inputs, doc["options"])
    else:
        click.echo(f"error: cannot re-run command {doc['command']!r}", err=True)
        sys.exit(2)

    byte_identical = got_sha == rec_out["sha256"]
    if not byte_identical:
        if rec_out.get("canonical_sha256") and canonical == rec_out["canonical_sha256"]:
            problems.append(f"output sha256 differs (recorded {rec_out['sha256'][:12]}, now {got_sha[:12]}) but its "
                            "RDFC-1.0 canonical form is identical: the same graph, serialised differently")
        else:
            problems.append(f"output sha256 differs (recorded {rec_out['sha256'][:12]}, now {got_sha[:12]})")
    problems += case_differences(doc.get("cases", {}), cases)

    click.echo(f"run of {doc['created']}: dorsum {doc['command']}, knowledge base {doc['knowledge_base']['version']} "
               f"sha256 {doc['knowledge_base']['sha256'][:12]}, {len(doc.get('cases', {}))} case(s)")
    for n in notes:
        click.echo(f"  warning: environment differs: {n}")
    for p in problems:
        click.echo(f"  DIFFERS: {p}")
    if problems:
        click.echo(f"NOT REPRODUCED: {len(problems)} difference(s)")
        sys.exit(1)
    what = "output byte-identical" if doc["command"] == "classify" else "every stored case graph identical"
    click.echo(f"REPRODUCED: {what} (sha256 {got_sha[:12]}), {len(cases)} case(s) with the same "
               f"conclusions, every knowledge-base and input file unchanged")
