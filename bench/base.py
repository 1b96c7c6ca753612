"""Measure an older commit beside this checkout in the same `make bench` run (`--base REV`).

A `git worktree` of REV (no network) in a temporary directory; its code runs with this virtualenv's
interpreter and PYTHONPATH pointing at the worktree, so its own `reasoner` package (and its own
knowledge base files, read relative to the package) is what runs. The worktree is removed afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def env_for(root: Path) -> dict:
    """The environment that makes `root`'s `reasoner` package the one imported."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(root) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def commit_of(rev: str) -> str | None:
    """The commit `rev` names in this clone, or None (a clone of main alone has no tags)."""
    run = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], cwd=ROOT,
                         capture_output=True, text=True)
    return run.stdout.strip() if run.returncode == 0 else None


@contextmanager
def worktree(rev: str):
    """Yield (path, commit) of a detached worktree of `rev`; removed afterwards."""
    commit = commit_of(rev)
    if commit is None:
        raise ValueError(f"{rev}: no such commit or tag in this clone")
    parent = Path(tempfile.mkdtemp(prefix="dorsum-bench-base-"))
    path = parent / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(path), commit], cwd=ROOT, check=True,
                   capture_output=True, text=True)
    try:
        yield path, commit
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, capture_output=True)
        shutil.rmtree(parent, ignore_errors=True)
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT, capture_output=True)


def figure(root: Path, what: str, *args) -> dict:
    """bench/figures.py `what` run with `root`'s reasoner package (this checkout's or a worktree's)."""
    res = subprocess.run([PY, str(ROOT / "bench" / "figures.py"), what, *map(str, args)], cwd=root, env=env_for(root),
                         capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"bench/figures.py {what} failed under {root}: {res.stderr.strip()[-800:]}")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    if not Path(out["reasoner"]).resolve().is_relative_to(root.resolve()):
        raise RuntimeError(f"bench/figures.py measured {out['reasoner']}, not the reasoner package of {root}")
    return out
