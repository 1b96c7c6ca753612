"""Run manifests: what a researcher needs to reproduce a classification exactly and prove it.

`--manifest FILE` on `dorsum classify` and `dorsum load` records the dorsum and knowledge-base
versions, the SHA-256 of every ontology, shape, query and context file and of every input file,
the Python and library versions, the command, the SHA-256 of the output (and, for RDF, of its
RDFC-1.0 canonical form, so layout and blank-node labels never break a comparison), one hash and
a conclusion summary per case, and the time. `dorsum verify FILE` re-runs the command and says
which file hash or which case conclusion differs.

Paths are stored relative to the manifest's directory when they lie below it (a run directory can
be moved or archived whole), else absolute.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

FORMAT = "https://w3id.org/dorsum/run-manifest/1"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def kb_files(root: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file that makes up the knowledge base."""
    from ..kb.paths import kb_files as files_of

    return dict(sorted((p.relative_to(root).as_posix(), sha256_file(p)) for p in files_of(root)))


def environment() -> dict:
    """The interpreter and every installed distribution (PEP 503 names) with its version: what a
    researcher needs to rebuild the environment, and what `dorsum verify` compares."""
    import re
    from importlib.metadata import distributions

    libs: dict = {}
    for dist in distributions():
        name = dist.metadata["Name"]
        if name:
            libs.setdefault(re.sub(r"[-_.]+", "-", name).lower(), dist.version)
    libs = dict(sorted(libs.items()))
    return {"python": platform.python_version(), "implementation": platform.python_implementation(),
            "platform": platform.platform(), "packages": libs}


def summary(result_json: dict, kinds) -> dict:
    """The conclusions of one JSON result, in the terms a reader compares: for each kind the
    knowledge base declares (kinds: its ResultKinds), the slugs, with the days of a timed list."""
    if result_json.get("status") != "classified":
        return {"status": result_json.get("status"), "errors": sorted(e["path"] for e in result_json.get("errors", []))}
    out = {"status": "classified"}
    for kind in kinds.shown:
        shown = result_json[kind.json_key]
        if kind.single:
            out[kind.json_key] = shown[kind.item_key]
        elif kind.timed:
            out[kind.json_key] = {x[kind.item_key]: x.get("within_days") for x in shown}
        else:
            out[kind.json_key] = [x[kind.item_key] for x in shown]
    return out


def case_record(result_json: dict, kinds) -> dict:
    from ..results.view import dumps

    return {"sha256": sha256_text(dumps(result_json, pretty=False)), "conclusions": summary(result_json, kinds)}


def graph_record(result) -> dict:
    """A stored case: its status and the SHA-256 of its result graph's canonical N-Quads (result
    graphs have no blank nodes, so sorted N-Triples lines are already the RDFC-1.0 form; a graph
    with blank nodes goes through the full algorithm)."""
    from rdflib import BNode

    g = result.graph
    if any(isinstance(t, BNode) for triple in g for t in triple):
        from .canonical import canonical_sha256
        digest = canonical_sha256(g)
    else:
        lines = sorted(line for line in g.serialize(format="nt").splitlines() if line.strip())
        digest = sha256_text("\n".join(lines) + "\n")
    return {"sha256": digest, "status": result.status}


def load_output(kb, cases: dict) -> dict:
    """The identity of what a load stored: the knowledge base and every case's graph hash."""
    h = hashlib.sha256(f"kb {kb.sha256}\n".encode())
    for cid in sorted(cases):
        h.update(f"{cid}\t{cases[cid]['sha256']}\n".encode())
    return {"sha256": h.hexdigest(), "cases": len(cases),
            "invalid": sum(1 for c in cases.values() if c["status"] != "classified")}


def add_case(cases: dict, case_id: str, record: dict) -> None:
    key, n = case_id, 2
    while key in cases:
        key, n = f"{case_id}#{n}", n + 1
    cases[key] = record


def rel(path: Path, base: Path) -> str:
    p = Path(os.path.abspath(path))
    try:
        return p.relative_to(Path(os.path.abspath(base))).as_posix()
    except ValueError:
        return p.as_posix()


def resolve(stored: str, base: Path) -> Path:
    p = Path(stored)
    return p if p.is_absolute() else base / p


@dataclass
class RunRecord:
    """What one run produced, filled by the command as it runs."""

    command: str
    options: dict
    inputs: list[Path]
    output: dict = field(default_factory=dict)
    cases: dict = field(default_factory=dict)


def write(manifest_path: Path, run: RunRecord, kb) -> dict:
    from .. import __version__
    from ..case.intake import expand_paths

    base = manifest_path.resolve().parent
    doc = {
        "manifest_format": FORMAT,
        "created": datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "dorsum_version": __version__,
        "command": run.command,
        "options": run.options,
        "knowledge_base": {"root": rel(kb.paths.root, base), "version": kb.version, "sha256": kb.sha256,
                           "files": kb_files(kb.paths.root)},
        "inputs": {"arguments": [rel(Path(p), base) for p in run.inputs],
                   "files": {rel(p, base): sha256_file(p) for p in expand_paths(run.inputs)}},
        "environment": environment(),
        "argv": sys.argv[1:],
        "output": run.output,
        "cases": run.cases,
    }
    # a file name that is not UTF-8 reaches Python with lone surrogates (surrogateescape): written as
    # JSON escapes, they read back as the same name, so verify finds the file
    from ..case.intake import printable
    manifest_path.write_text(printable(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n", encoding="utf-8")
    return doc


def read(manifest_path: Path) -> dict:
    try:
        doc = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{manifest_path}: not a readable run manifest ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("manifest_format") != FORMAT:
        raise ValueError(f"{manifest_path}: not a dorsum run manifest (expected manifest_format {FORMAT!r})")
    problem = structure_problem(doc)
    if problem:
        raise ValueError(f"{manifest_path}: not a usable run manifest: {problem}")
    return doc


# key path -> (the types it may have, required); "cases.*" is every recorded case
_SCHEMA: tuple[tuple[str, tuple, bool], ...] = (
    ("created", (str,), True),
    ("command", (str,), True),
    ("options", (dict,), True),
    ("knowledge_base", (dict,), True),
    ("knowledge_base.root", (str,), True),
    ("knowledge_base.version", (str,), True),
    ("knowledge_base.sha256", (str,), True),
    ("knowledge_base.files", (dict,), True),
    ("inputs", (dict,), True),
    ("inputs.arguments", (list,), True),
    ("inputs.files", (dict,), True),
    ("output", (dict,), True),
    ("output.sha256", (str,), True),
    ("output.canonical_sha256", (str, type(None)), False),
    ("cases", (dict,), True),
    ("dorsum_version", (str, type(None)), False),
    ("environment", (dict,), False),
    ("environment.python", (str, type(None)), False),
    ("environment.packages", (dict,), False),
)
_NAMES = {str: "a string", dict: "an object", list: "a list", type(None): "null", int: "a number"}


def _kind(types: tuple) -> str:
    return " or ".join(_NAMES.get(t, t.__name__) for t in types)


def structure_problem(doc: dict) -> str | None:
    """What is missing or of the wrong type in a run manifest (the first thing found), or None."""
    for key, types, required in _SCHEMA:
        node, parts = doc, key.split(".")
        for part in parts[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            continue  # its parent is optional and absent (a required parent was reported first)
        if parts[-1] not in node:
            if required:
                return f"key {key!r} is missing"
            continue
        value = node[parts[-1]]
        if not isinstance(value, types) or isinstance(value, bool):
            return f"key {key!r} should be {_kind(types)}, not {type(value).__name__}"
    if doc["command"] not in ("classify", "load"):
        return (f"key 'command' is {doc['command'][:40]!r}; only 'classify' and 'load' runs can be re-run"
                + ("; Spark names its Parquet files per job, so a `dorsum spark` run cannot match byte for byte: re-run "
                   "it on the same inputs and compare each row's result_sha256 with the recorded run's"
                   if doc["command"] == "spark" else ""))
    if doc["command"] == "classify" and not isinstance(doc["options"].get("format"), str):
        return "key 'options.format' should be a string"
    if doc["command"] == "load" and "chunk" in doc["options"] and (
            not isinstance(doc["options"]["chunk"], int) or isinstance(doc["options"]["chunk"], bool)):
        return "key 'options.chunk' should be a number"
    for i, a in enumerate(doc["inputs"]["arguments"]):
        if not isinstance(a, str):
            return f"key 'inputs.arguments[{i}]' should be a string, not {type(a).__name__}"
    for section in ("knowledge_base.files", "inputs.files"):
        a, b = section.split(".")
        for name, digest in doc[a][b].items():
            if not isinstance(digest, str):
                return f"key '{section}.{name}' should be a string (a SHA-256), not {type(digest).__name__}"
    for package, v in doc.get("environment", {}).get("packages", {}).items():
        if not isinstance(v, (str, type(None))):
            return f"key 'environment.packages.{package}' should be a string, not {type(v).__name__}"
    for cid, rec in doc["cases"].items():
        if not isinstance(rec, dict):
            return f"key 'cases.{cid}' should be an object, not {type(rec).__name__}"
        if not isinstance(rec.get("sha256"), str):
            return f"key 'cases.{cid}.sha256' is missing or not a string"
        if "conclusions" in rec and not isinstance(rec["conclusions"], dict):
            return f"key 'cases.{cid}.conclusions' should be an object, not {type(rec['conclusions']).__name__}"
        if "status" in rec and not isinstance(rec["status"], str):
            return f"key 'cases.{cid}.status' should be a string, not {type(rec['status']).__name__}"
    return None


# ------------------------------------------------------------------ verification
def file_differences(recorded: dict, current: dict, what: str) -> list[str]:
    out = []
    for p in sorted(set(recorded) | set(current)):
        a, b = recorded.get(p), current.get(p)
        if a == b:
            continue
        if b is None:
            out.append(f"{what} file missing: {p} (recorded sha256 {a[:12]})")
        elif a is None:
            out.append(f"{what} file added: {p} (sha256 {b[:12]})")
        else:
            out.append(f"{what} file changed: {p} (recorded sha256 {a[:12]}, now {b[:12]})")
    return out


def case_differences(recorded: dict, current: dict) -> list[str]:
    out = []
    for cid in sorted(set(recorded) | set(current)):
        a, b = recorded.get(cid), current.get(cid)
        if a is None:
            out.append(f"case {cid}: not in the recorded run")
            continue
        if b is None:
            out.append(f"case {cid}: no longer produced")
            continue
        # the recorded conclusions and status are compared always, not only when a hash differs: a
        # manifest whose conclusions were edited (its hashes left alone) does not reproduce
        if "conclusions" in a or "conclusions" in b:
            ca, cb = a.get("conclusions", {}), b.get("conclusions", {})
            changed = [f"{k} {_show(ca.get(k))} -> {_show(cb.get(k))}"
                       for k in sorted(set(ca) | set(cb)) if ca.get(k) != cb.get(k)]
            if changed:
                out.append(f"case {cid}: " + "; ".join(changed))
            elif a["sha256"] != b["sha256"]:
                out.append(f"case {cid}: result differs (provenance or wording; same conclusions)")
            continue
        status = f"status {a.get('status')} -> {b.get('status')}" if a.get("status") != b.get("status") else ""
        if a["sha256"] != b["sha256"]:
            out.append(f"case {cid}: stored result graph differs (recorded sha256 {a['sha256'][:12]}, "
                       f"now {b['sha256'][:12]})" + (f"; {status}" if status else ""))
        elif status:
            out.append(f"case {cid}: {status}")
    return out


def _show(v) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {d}" for k, d in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(map(str, v)) + "]"
    return str(v)
