"""Same inputs and knowledge base give byte-identical output, across processes and hash seeds."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest

from conftest import ROOT


def run(args, seed):
    env = dict(os.environ, PYTHONHASHSEED=str(seed))
    res = subprocess.run([sys.executable, "-m", "reasoner.cli", *args], cwd=ROOT, env=env, capture_output=True)
    assert res.returncode in (0, 1), res.stderr.decode()
    return res.stdout


@pytest.mark.parametrize("fmt", ["json", "turtle", "jsonld"])
def test_output_is_byte_identical_across_runs(fmt):
    args = ["classify", "--format", fmt, "tests/vignettes"]
    first, second = run(args, 1), run(args, 97)
    assert first and hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()
