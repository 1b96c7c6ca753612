"""Golden output: `dorsum classify` on every example and vignette, as JSON Lines (kept whole, so a
change shows as a readable diff), and as RDFC-1.0 canonical N-Quads, Turtle and JSON-LD (kept as
their SHA-256). A refactoring must leave them byte-identical; a change to the knowledge base or the
result format changes them on purpose: regenerate with `DORSUM_UPDATE_GOLDEN=1 pytest
tests/test_golden.py` and review `git diff tests/golden/` before committing.

Every run uses a random PYTHONHASHSEED in a new process and is compared with bytes written by an
earlier process, so these tests also show the output is deterministic across processes and hash
seeds (what tests/test_determinism.py checked by running each format twice)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest

from conftest import ROOT

GOLDEN = ROOT / "tests" / "golden"
INPUTS = ["examples", "tests/vignettes"]


def classify(*fmt: str) -> bytes:
    res = subprocess.run([sys.executable, "-m", "reasoner", "classify", *fmt, *INPUTS], cwd=ROOT,
                         capture_output=True, timeout=600, env={**os.environ, "PYTHONHASHSEED": "random"})
    assert res.returncode in (0, 1), res.stderr.decode()
    return res.stdout


@pytest.mark.parametrize("name, fmt", [("classify.jsonl", ()), ("classify.nq.sha256", ("--format", "nquads")),
                                       ("classify.ttl.sha256", ("--format", "turtle")),
                                       ("classify.jsonld.sha256", ("--format", "jsonld"))])
def test_classify_output_is_the_golden_output(name, fmt):
    out = classify(*fmt)
    unit = "quads" if name.startswith("classify.nq") else "lines"
    got = out if name.endswith(".jsonl") else (hashlib.sha256(out).hexdigest() + f"  {len(out.splitlines())} {unit}\n").encode()
    path = GOLDEN / name
    if os.environ.get("DORSUM_UPDATE_GOLDEN"):
        path.write_bytes(got)
    assert path.exists(), f"no golden {path}: run with DORSUM_UPDATE_GOLDEN=1"
    expected = path.read_bytes()
    if name.endswith(".jsonl") and got != expected:  # name the cases that differ, not 600 kB of bytes
        import json
        before = {json.loads(line)["case"]: line for line in expected.splitlines()}
        after = {json.loads(line)["case"]: line for line in got.splitlines()}
        changed = sorted(c for c in before.keys() | after.keys() if before.get(c) != after.get(c))
        pytest.fail(f"classify output changed for {len(changed)} case(s): {changed[:20]}")
    assert got == expected
