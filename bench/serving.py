"""Start and stop a `dorsum serve` subprocess on a free loopback port (bench scripts only)."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(store: Path, *extra: str, root: Path = ROOT, wait: float = 180.0) -> tuple[subprocess.Popen, str]:
    """(process, base URL) of `dorsum serve` on `store` on a free port, once its /health answers.
    `root`: the checkout whose `reasoner` package serves (another one, e.g. a `git worktree` of an
    older commit, to compare). Raises RuntimeError, with the end of the server's output, when the
    process ends or `wait` seconds pass first (instead of measuring a server that is not there)."""
    port = free_port()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "-m", "reasoner.cli", "serve", "--store", str(store), "--port", str(port),
                             *extra], cwd=root, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop_server(proc)
    log.seek(0)
    raise RuntimeError("dorsum serve did not start: " + log.read().decode("utf-8", "replace")[-2000:])


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def running_server(store: Path, *extra: str, root: Path = ROOT):
    """Yield the base URL of a server on `store` (start_server), stopped afterwards."""
    proc, base = start_server(store, *extra, root=root)
    try:
        yield base
    finally:
        stop_server(proc)
