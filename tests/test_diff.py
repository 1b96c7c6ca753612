"""`dorsum diff`: one case corpus classified by two knowledge bases, what changed and which rules
(and statements) are responsible; exit 0 / 1 / 2 like `git diff --exit-code`.

Loading a knowledge base is the slow part; reasoner.repro.impact keeps loaded ones per process by the
content of their files, so the original knowledge base is loaded once for the whole file."""

from __future__ import annotations

import io
import json
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from conftest import ROOT
from reasoner.cli import main
from reasoner.kb.knowledge_base import load_kb

VIGNETTES = ROOT / "tests" / "vignettes"
RULE = "https://w3id.org/dorsum/rule/"
STMT = "https://w3id.org/dorsum/"
from reasoner.kb.paths import KB_DIRS

# The children's red-flag size moves from 3 cm to 5 cm: the children's lumps measured between 3 and 5 cm lose
# their size risk factors; adults, assessed on 5 cm (threshold-adult-size-cm), are untouched.
N_CASES = len(list(VIGNETTES.glob("*.json")))
SIZE_CHANGED = {"child-ultrasound-suggestive-of-sarcoma", "safety-child-firm-4cm-benign-scan", "safety-child-firm-4cm-stable",
                "safety-child-soft-4cm-stable"}


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def git(repo, *args):
    subprocess.run(["git", "-c", "user.name=dorsum tests", "-c", "user.email=tests@dorsum.invalid",
                    "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", "-c", "init.defaultBranch=main",
                    *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def size_5cm(kb_copy):
    th = kb_copy / "ontology" / "thresholds.ttl"
    text = th.read_text()
    start = text.index("dorsum:threshold-red-flag-size-cm ")
    old = 'dorsum:thresholdValue "3"^^xsd:decimal'
    assert old in text[start:start + 600]
    th.write_text(text[:start] + text[start:].replace(old, 'dorsum:thresholdValue "5"^^xsd:decimal', 1))
    return kb_copy


@pytest.fixture
def tagged_repo(tmp_path):
    """A git repository holding a copy of the knowledge base, committed and tagged kb-1."""
    repo = tmp_path / "repo"
    for d in KB_DIRS:
        shutil.copytree(ROOT / d, repo / d)
    git(repo, "init", "-q")
    git(repo, "add", *KB_DIRS)
    git(repo, "commit", "-q", "-m", "knowledge base 1")
    git(repo, "tag", "kb-1")
    return repo


def test_threshold_change_names_cases_fields_and_rules(size_5cm, tmp_path):
    out1, out2 = tmp_path / "1.json", tmp_path / "2.json"
    res = invoke("diff", "--base", ROOT, "--kb", size_5cm, "--cases", VIGNETTES, "--format", "json", "-o", out1)
    assert res.exit_code == 1, res.output
    res = invoke("diff", "--base", ROOT, "--kb", size_5cm, "--cases", VIGNETTES, "--format", "json", "-o", out2)
    assert res.exit_code == 1, res.output
    assert out1.read_bytes() == out2.read_bytes()
    report = json.loads(out1.read_text())

    assert report["kb_files"] == {"added": [], "removed": [], "changed": ["ontology/thresholds.ttl"]}
    assert report["rules_changed"] == []
    assert report["base"]["sha256"] != report["head"]["sha256"]
    assert report["base"]["version"] == report["head"]["version"] == load_kb(ROOT).version
    assert report["base"]["root"] == str(ROOT) and report["head"]["root"] == str(size_5cm)
    assert report["summary"] == {"cases": N_CASES, "changed": 4, "unchanged": N_CASES - 4, "invalid": {"base": 0, "head": 0}}
    cases = {c["case"]: {ch["field"]: ch for ch in c["changes"]} for c in report["cases"]}
    assert set(cases) == SIZE_CHANGED
    assert [c["case"] for c in report["cases"]] == sorted(SIZE_CHANGED)

    # the child's soft 4 cm lump: no red flag left, so no urgent ultrasound
    alone = cases["safety-child-soft-4cm-stable"]
    assert set(alone) == {"urgency", "actions", "warnings", "differential", "risk_factors"}
    rf = alone["risk_factors"]
    assert rf["before"] == ["size-over-3cm"] and rf["after"] == [] and rf["disappeared"] == ["size-over-3cm"]
    [resp] = rf["responsible"]
    assert resp["rule"] == RULE + "cyp-red-flags"
    assert resp["file"] == "queries/rules/cyp-red-flags.rq"
    assert STMT + "stmt-red-flag-size-over-3cm" in resp["statements"]
    assert resp["sides"] == ["base"] and resp["for"] == ["size-over-3cm"] and resp["rule_file_changed"] is False
    urg = alone["urgency"]
    assert urg["before"]["level"] == "urgent" and urg["before"]["within_days"] == 14
    assert urg["after"]["level"] == "observe"
    rules = {r["rule"]: r["sides"] for r in urg["responsible"]}
    assert rules[RULE + "cyp-urgent-ultrasound-for-red-flag"] == ["base"]
    assert rules[RULE + "cyp-observe-no-risk-factors"] == ["head"]
    acts = alone["actions"]
    assert acts["disappeared"] == ["ultrasound-soft-tissue"]
    assert {"action": "ultrasound-soft-tissue", "strength": None, "within_days": 14} in acts["before"]
    assert acts["appeared"] == ["observation-and-reassurance"]
    assert alone["differential"]["disappeared"] == ["soft-tissue-sarcoma"]

    # the lump measured with ultrasound keeps its plan: only its risk factors change
    child = cases["child-ultrasound-suggestive-of-sarcoma"]
    assert set(child) == {"risk_factors"}
    assert child["risk_factors"]["disappeared"] == ["firm-mass-over-3cm", "size-over-3cm"]
    assert {r["rule"] for r in child["risk_factors"]["responsible"]} == {
        RULE + "cyp-red-flags", RULE + "knight-reiner-firm-mass-over-3cm"}
    # adults are not assessed on the paediatric 3 cm threshold at all
    assert not any(c.startswith("adult-") for c in cases)

    # the same report as a table for a terminal
    from rich.console import Console
    from reasoner.repro.impact import render_table
    buf = io.StringIO()
    render_table(report, Console(file=buf, width=160, no_color=True))
    table = buf.getvalue()
    for text in (*SIZE_CHANGED, "ontology/thresholds.ttl", "risk_factors", "cyp-red-flags",
                 f"cases: {N_CASES}, 4 changed, {N_CASES - 4} unchanged"):
        assert text in table, text
    from reasoner import DISCLAIMER
    assert " ".join(table.split()).count(" ".join(DISCLAIMER.split())) == 1  # said once, plainly


def test_same_knowledge_base_changes_nothing(kb_copy):
    res = invoke("diff", "--base", ROOT, "--kb", kb_copy, "--cases", VIGNETTES)
    assert res.exit_code == 0, res.output
    assert "knowledge-base files: identical" in res.output
    assert f"cases: {N_CASES}, 0 changed, {N_CASES} unchanged; invalid: 0 on base, 0 on head" in res.output


def test_git_ref_base_lists_the_changed_rule_and_the_cases(tagged_repo):
    rule = tagged_repo / "queries" / "rules" / "differential-epidermoid-cyst.rq"
    rule.write_text(rule.read_text().replace("# status: active", "# status: retired", 1))
    res = invoke("diff", "--base", "kb-1", "--kb", tagged_repo, "--cases", VIGNETTES, "--format", "json")
    assert res.exit_code == 1, res.output
    report = json.loads(res.output)
    assert report["base"]["kind"] == "git" and report["base"]["ref"] == "kb-1"
    assert len(report["base"]["commit"]) == 40
    assert report["kb_files"] == {"added": [], "removed": [], "changed": ["queries/rules/differential-epidermoid-cyst.rq"]}
    assert report["rules_changed"] == [{
        "file": "queries/rules/differential-epidermoid-cyst.rq", "change": "changed",
        "rule": RULE + "differential-epidermoid-cyst", "header": {"status": {"before": "active", "after": "retired"}},
        "query_changed": False}]
    assert [c["case"] for c in report["cases"]] == ["epidermoid-cyst-with-punctum"]
    dx = next(ch for ch in report["cases"][0]["changes"] if ch["field"] == "differential")
    assert dx["disappeared"] == ["epidermoid-cyst"]
    [resp] = [r for r in dx["responsible"] if r["for"] == ["epidermoid-cyst"]]
    assert resp["rule"] == RULE + "differential-epidermoid-cyst" and resp["rule_file_changed"] is True
    assert resp["sides"] == ["base"]
    assert STMT + "stmt-epidermoid-cyst-excision" in resp["statements"]


def test_usage_errors_exit_2(tagged_repo, kb_copy, tmp_path):
    res = invoke("diff", "--base", "no-such-ref", "--kb", tagged_repo, "--cases", VIGNETTES)
    assert res.exit_code == 2
    assert "'no-such-ref'" in res.output and "git ref" in res.output
    res = invoke("diff", "--base", "kb-1", "--kb", kb_copy, "--cases", VIGNETTES)
    assert res.exit_code == 2 and "not in a git repository" in res.output
    res = invoke("diff", "--base", ROOT, "--kb", kb_copy, "--cases", tmp_path / "missing")
    assert res.exit_code == 2
    res = invoke("diff", "--kb", kb_copy, "--cases", VIGNETTES)
    assert res.exit_code == 2


def test_help_documents_the_exit_status():
    res = invoke("diff", "--help")
    assert res.exit_code == 0
    text = " ".join(res.output.split())
    assert "0 when no case changed, 1 when at least one case changed" in text and "2 on a usage error" in text


def test_a_case_invalid_on_one_side_is_a_status_change():
    from reasoner.repro.impact import Field, Outcome, compare_case
    fields = (Field("warnings", "warning"),)
    ok = Outcome("c", "c.json", "classified", [], {"warnings": {}})
    bad = Outcome("c", "c.json", "invalid", ["lump: wrong"], {})
    [change] = compare_case(ok, bad, {}, set(), fields)
    assert change["field"] == "status" and change["before"] == "classified" and change["after"] == "invalid"
    assert change["errors"] == {"before": [], "after": ["lump: wrong"]}
    assert compare_case(bad, bad, {}, set(), fields) == []
    [change] = compare_case(bad, Outcome("c", "c.json", "invalid", ["lump: other"], {}), {}, set(), fields)
    assert change["field"] == "errors"
    assert compare_case(ok, ok, {}, set(), fields) == []
