"""The two sides of `dorsum diff`: the working knowledge base, and a base that is a knowledge-base
directory or a git ref, whose knowledge-base directories are extracted (git archive, unpacked in
Python) to a temporary directory for as long as the diff runs."""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..errors import DorsumError
from ..kb.paths import KB_DIRS, kb_paths


class DiffUsageError(DorsumError):
    """A base or corpus that cannot be compared (bad ref, not a knowledge base, not a repository)."""




@dataclass
class Side:
    """One knowledge base: its root on disk while the diff runs, and where it came from."""

    root: Path
    info: dict = field(default_factory=dict)   # what the report says about where it came from


def _git(args: list[str], cwd: Path, binary: bool = False) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=not binary, check=False)
    except FileNotFoundError as exc:
        raise DiffUsageError("git is not installed: a git ref as --base needs it") from exc


def git_location(root: Path) -> tuple[Path, str]:
    """(top level of the repository containing root, root's path inside it as 'a/b/' or '')."""
    top = _git(["rev-parse", "--show-toplevel"], root)
    if top.returncode != 0:
        raise DiffUsageError(f"the knowledge base {root} is not in a git repository; "
                             "give --base a knowledge-base directory instead")
    prefix = _git(["rev-parse", "--show-prefix"], root)
    return Path(top.stdout.strip()), prefix.stdout.strip()


def resolve_commit(ref: str, top: Path) -> str:
    if not ref or ref.startswith("-"):
        raise DiffUsageError(f"'{ref}' is not a git ref")
    res = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], top)
    if res.returncode != 0 or not res.stdout.strip():
        raise DiffUsageError(f"'{ref}' is neither a knowledge-base directory nor a git ref of the repository at {top}")
    return res.stdout.strip()


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """Regular files and directories with relative paths only (git archive of our own tree gives
    nothing else; this refuses anything that could write outside the target)."""
    out = []
    for m in tar.getmembers():
        parts = Path(m.name).parts
        if m.name.startswith("/") or ".." in parts or not (m.isfile() or m.isdir()):
            continue
        out.append(m)
    return out


def extract_ref(ref: str, head_root: Path, dest: Path) -> dict:
    """Extract the knowledge-base directories of `ref` (of the repository holding head_root) into
    dest: `git archive <commit> -- ontology shapes queries context`, unpacked in Python."""
    top, prefix = git_location(head_root)
    commit = resolve_commit(ref, top)
    tree = f"{commit}:{prefix.rstrip('/')}" if prefix else commit
    listing = _git(["ls-tree", "-d", "--name-only", tree], top)
    present = [d for d in KB_DIRS if d in set(listing.stdout.split("\n"))] if listing.returncode == 0 else []
    if "ontology" not in present:
        where = f"{prefix}ontology/" if prefix else "ontology/"
        raise DiffUsageError(f"git ref '{ref}' ({commit[:12]}) has no {where}: no knowledge base there")
    res = _git(["archive", "--format=tar", tree, "--", *present], top, binary=True)
    if res.returncode != 0:
        msg = res.stderr.decode("utf-8", "replace").strip()
        raise DiffUsageError(f"git archive of '{ref}' failed: {msg}")
    with tarfile.open(fileobj=io.BytesIO(res.stdout), mode="r:") as tar:
        members = _safe_members(tar)
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, members=members, filter="data")
        else:  # pragma: no cover - Python before 3.11.4
            tar.extractall(dest, members=members)
    return {"ref": ref, "commit": commit, "kind": "git"}


def is_kb_root(path: Path) -> bool:
    return path.is_dir() and (path / "ontology").is_dir()


@contextmanager
def sides(base: str, kb_root: str | Path | None) -> Iterator[tuple[Side, Side]]:
    """(base, head): base is a knowledge-base directory or a git ref, extracted to a temporary
    directory that lives as long as the context; head is the working knowledge base."""
    head_root = kb_paths(kb_root).root
    if not is_kb_root(head_root):
        raise DiffUsageError(f"{head_root} is not a knowledge base (no ontology/ directory)")
    head = Side(head_root, {"kind": "directory", "root": str(head_root)})
    as_dir = Path(base).expanduser()
    if is_kb_root(as_dir):
        root = as_dir.resolve()
        yield Side(root, {"kind": "directory", "root": str(root)}), head
        return
    with tempfile.TemporaryDirectory(prefix="dorsum-diff-") as tmp:
        try:
            info = extract_ref(base, head_root, Path(tmp))
        except DiffUsageError as exc:
            if as_dir.is_dir():
                raise DiffUsageError(f"'{base}' is a directory without ontology/ (not a knowledge base) "
                                     "and not a git ref") from exc
            raise
        yield Side(Path(tmp), info), head
