"""SECURITY.md names, for each defence, the test that shows it: every named test file and test
function exists, so the threat model cannot point at a test that was renamed or removed."""

from __future__ import annotations

import ast
import re

from conftest import ROOT


def test_every_test_security_md_names_exists():
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    named = set(re.findall(r"tests/(test_[a-z0-9_]+\.py)(?:::([A-Za-z0-9_]+))?", text))
    assert len(named) >= 15
    for filename, function in sorted(named):
        path = ROOT / "tests" / filename
        assert path.exists(), f"SECURITY.md names {filename}, which does not exist"
        if function:
            defined = {n.name for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                       if isinstance(n, ast.FunctionDef)}
            assert function in defined, f"SECURITY.md names {filename}::{function}, which does not exist"
