"""docs/adding-a-rule.md, followed literally: in a temporary copy of the repository without the
worked example's rule, case and manifest entry, write each `file=` block, append each `append=`
block and run each `$ dorsum ...` line of the guide, checking the output lines and exit codes it
shows. The guide's blocks must also be the shipped files, so the guide cannot drift."""

from __future__ import annotations

import re
import shlex
import shutil

import pytest
from click.testing import CliRunner

from conftest import ROOT
from reasoner.cli import main

GUIDE = ROOT / "docs" / "adding-a-rule.md"
FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```\s*$", re.S | re.M)


def blocks():
    out = []
    for lang, info, body in FENCE.findall(GUIDE.read_text(encoding="utf-8")):
        attrs = dict(kv.split("=", 1) for kv in info.split() if "=" in kv)
        out.append((lang, attrs, body))
    return out


def test_the_guide_shows_the_shipped_files():
    bs = blocks()
    files = [(a["file"], body) for _, a, body in bs if "file" in a]
    appends = [(a["append"], body) for _, a, body in bs if "append" in a]
    assert files and appends and any(lang == "console" for lang, _, _ in bs)
    for rel, body in files:
        assert (ROOT / rel).read_text(encoding="utf-8") == body, rel
    for rel, body in appends:
        assert (ROOT / rel).read_text(encoding="utf-8").endswith("\n" + body), rel
    # a plain turtle block quotes the knowledge base; it must be there as shown
    for lang, a, body in bs:
        if lang == "turtle" and not a:
            assert body in (ROOT / "ontology" / "statements.ttl").read_text(encoding="utf-8")


@pytest.fixture
def repo_without_the_example(tmp_path):
    dst = tmp_path / "repo"
    for d in ("ontology", "shapes", "queries", "context", "tests/manifests", "tests/vignettes", "tests/invalid-cases"):
        shutil.copytree(ROOT / d, dst / d)
    for test in (ROOT / "tests").glob("test_*.py"):  # the hazard log names pytest tests: coverage looks for them
        shutil.copy(test, dst / "tests" / test.name)
    for _, a, body in blocks():
        if "file" in a:
            (dst / a["file"]).unlink()
        if "append" in a:
            p = dst / a["append"]
            text = p.read_text(encoding="utf-8")
            p.write_text(text[: -len(body)].rstrip("\n") + "\n", encoding="utf-8")
    return dst


def run_console(body: str, repo) -> None:
    """Run each `$ dorsum ...` line; the lines under it must appear in its output, in order;
    `[exit N]` gives the expected exit code (default 0)."""
    steps = []
    for line in body.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], [], 0))
        elif m := re.fullmatch(r"\[exit (\d+)\]", line.strip()):
            cmd, lines, _ = steps[-1]
            steps[-1] = (cmd, lines, int(m.group(1)))
        elif line.strip():
            steps[-1][1].append(line.strip())
    for cmd, expected, code in steps:
        argv = shlex.split(cmd)
        assert argv[0] == "dorsum"
        res = CliRunner().invoke(main, argv[1:], env={"DORSUM_KB": str(repo)})
        assert res.exit_code == code, f"{cmd}\n{res.output}"
        out = [x.strip() for x in res.output.splitlines()]
        pos = 0
        for want in expected:
            while pos < len(out) and want not in out[pos]:
                pos += 1
            assert pos < len(out), f"{cmd}: expected a line containing {want!r} (in this order)\n{res.output}"
            pos += 1


def test_following_the_guide_adds_a_rule_that_fires_and_is_covered(repo_without_the_example, monkeypatch):
    repo = repo_without_the_example
    monkeypatch.chdir(repo)
    assert not (repo / "queries" / "rules" / "cutaneous-horn-scc-features.rq").exists()
    for lang, a, body in blocks():
        if "file" in a:
            (repo / a["file"]).write_text(body, encoding="utf-8")
        elif "append" in a:
            with open(repo / a["append"], "a", encoding="utf-8") as fh:
                fh.write("\n" + body)
        elif lang == "console":
            run_console(body, repo)
