"""Start and stop a `dorsum serve` subprocess on a free loopback port (bench scripts only)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(store: Path, *extra: str, root: Path = ROOT):
    """Yield the base URL of a server on `store`, once its /health answers. `root`: the checkout whose
    `reasoner` package serves (another one, e.g. a `git worktree` of an older commit, to compare)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "reasoner.cli", "serve", "--store", str(store), "--port", str(port),
                             *extra], cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
