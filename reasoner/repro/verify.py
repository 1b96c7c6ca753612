"""`dorsum verify`: re-run a recorded classification and say whether it reproduces: which file
hash, output hash or case conclusion differs, and which environment differences to note.

How a command is re-run (`classify`, `load`) is passed in by the caller: those writers sit above
`repro/` (they record run manifests), so importing them here would make a cycle."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .. import __version__
from ..case.intake import expand_paths
from ..pipeline import Classifier
from ..qa.check import run_check
from .run_manifest import case_differences, environment, file_differences, kb_files, read, rel, resolve, sha256_file

# a command's re-run: (classifier, inputs, recorded options) -> (output sha256, canonical sha256 or None, cases)
Rerun = Callable[[Classifier, list, dict], tuple]


class VerifyError(Exception):
    """The manifest cannot be verified: message (without "error: ") and exit code (2 unusable or
    refused, 1 a recorded input gone)."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


@dataclass
class Plan:
    """What will be re-run: the manifest, the knowledge base root (and whether --kb named it), the inputs."""
    doc: dict
    base: Path
    root: Path
    from_option: bool
    inputs: list


@dataclass
class Verification:
    """The outcome: environment notes, differences (none: reproduced), the output hash and cases now."""
    plan: Plan
    notes: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    sha256: str = ""
    cases: dict = field(default_factory=dict)


def plan(manifest: Path, kb_root: str | None) -> Plan:
    """Read the manifest and find its knowledge base and inputs (VerifyError when unusable)."""
    try:
        doc = read(manifest)
    except ValueError as exc:
        raise VerifyError(str(exc), 2) from None
    base = manifest.resolve().parent
    root = Path(kb_root) if kb_root else resolve(doc["knowledge_base"]["root"], base)
    if not (root / "ontology").is_dir():
        raise VerifyError(f"knowledge base {root} not found; pass --kb DIR", 2)
    return Plan(doc, base, root, bool(kb_root), [resolve(a, base) for a in doc["inputs"]["arguments"]])


def refuse_unchecked(p: Plan) -> None:
    """Refuse a knowledge base whose rules fail `dorsum check --no-reasoner` (a manifest may name any
    directory as its knowledge base) before anything of it is run."""
    report = run_check(p.root, reasoner=False)
    if not report.ok:
        errors = [e for e in report.problems if e.severity == "ERROR"]
        raise VerifyError(f"refused: the knowledge base at {p.root.resolve()} fails `dorsum check --no-reasoner` "
                          f"({len(errors)} error(s), first: {' '.join(errors[0].line().split())[:300]}); "
                          "nothing was run", 2)


def environment_notes(doc: dict) -> list[str]:
    """How this environment differs from the recorded one (another library can change a result:
    say so, but the hashes decide)."""
    notes = []
    env = environment()
    if doc.get("dorsum_version") != __version__:
        notes.append(f"dorsum version {__version__}, recorded {doc.get('dorsum_version')}")
    recorded = doc.get("environment", {}).get("packages", {})
    for lib in sorted(set(recorded) | set(env["packages"]) if recorded else ()):
        now, then = env["packages"].get(lib), recorded.get(lib)
        if now != then:
            notes.append(f"{lib} {now or 'not installed'}, recorded {then or 'not installed'}")
    if doc.get("environment", {}).get("python") != env["python"]:
        notes.append(f"Python {env['python']}, recorded {doc['environment'].get('python')}")
    return notes


def verify(p: Plan, reruns: dict[str, Rerun]) -> Verification:
    """Compare every recorded file hash, re-run the recorded command and compare the output's
    SHA-256 and each case's recorded conclusions (always, whatever the hashes)."""
    doc = p.doc
    out = Verification(p)
    out.problems += file_differences(doc["knowledge_base"]["files"], kb_files(p.root), "knowledge-base")
    missing_args = [str(a) for a in p.inputs if not a.exists()]
    if missing_args:
        raise VerifyError("recorded input no longer exists: " + ", ".join(missing_args), 1)
    current_inputs = {rel(a, p.base): sha256_file(a) for a in expand_paths(p.inputs)}
    out.problems += file_differences(doc["inputs"]["files"], current_inputs, "input")
    out.notes = environment_notes(doc)

    clf = Classifier(kb_root=p.root)
    rec_out = doc["output"]
    rerun = reruns.get(doc["command"])
    if rerun is None:
        raise VerifyError(f"cannot re-run command {doc['command']!r}", 2)
    out.sha256, canonical, out.cases = rerun(clf, p.inputs, doc["options"])

    if out.sha256 != rec_out["sha256"]:
        if rec_out.get("canonical_sha256") and canonical == rec_out["canonical_sha256"]:
            out.problems.append(f"output sha256 differs (recorded {rec_out['sha256'][:12]}, now {out.sha256[:12]}) "
                                "but its RDFC-1.0 canonical form is identical: the same graph, serialised differently")
        else:
            out.problems.append(f"output sha256 differs (recorded {rec_out['sha256'][:12]}, now {out.sha256[:12]})")
    out.problems += case_differences(doc.get("cases", {}), out.cases)
    return out
