"""What `dorsum --help` promises (issue 15): the exit codes, every environment variable dorsum
reads, and shell completion that works."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

from conftest import ROOT


def test_help_names_exit_codes_and_every_environment_variable_dorsum_reads():
    out = subprocess.run([sys.executable, "-m", "reasoner", "--help"], capture_output=True, text=True, check=True).stdout
    text = " ".join(out.split())
    for code in ("0 ok", "1 a case was invalid", "2 a usage error", "3 the store is locked or busy"):
        assert code in text, code
    # every DORSUM_* variable the package reads (found in its source, not listed by hand) is documented
    read = set()
    for path in (ROOT / "reasoner").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("DORSUM_") \
                    and node.value.isupper():
                read.add(node.value)
    assert read >= {"DORSUM_KB", "DORSUM_CACHE_DIR", "DORSUM_NO_CACHE"}
    for name in read:
        assert name in text, f"{name} is read by dorsum but not in dorsum --help"
        assert name in (ROOT / "README.md").read_text(encoding="utf-8"), f"{name} is not in the README"


def test_bash_completion_script_and_completions():
    env = {**os.environ, "_DORSUM_COMPLETE": "bash_source"}
    script = subprocess.run([sys.executable, "-m", "reasoner"], env=env, capture_output=True, text=True).stdout
    assert "complete" in script and "_DORSUM_COMPLETE" in script
    env = {**os.environ, "_DORSUM_COMPLETE": "bash_complete", "COMP_WORDS": "dorsum cla", "COMP_CWORD": "1"}
    words = subprocess.run([sys.executable, "-m", "reasoner"], env=env, capture_output=True, text=True).stdout
    assert "classify" in words
