"""`dorsum verify` (issue 14 item 9): the recorded conclusions are always compared, a malformed run
manifest is a one-line usage error, and the knowledge base a manifest names is checked, and named,
before anything runs."""

from __future__ import annotations

import json

import pytest

from test_reproducibility import invoke, run_dir


# `dorsum verify` checks the knowledge base first; these tests are about verify, so the check's
# report is shared between copies with the same files (conftest.shared_check_reports)
pytestmark = pytest.mark.usefixtures("shared_check_reports")


def recorded_run(tmp_path, kb_copy):
    cases = run_dir(tmp_path, kb_copy)
    run = tmp_path / "run.json"
    res = invoke("classify", cases, "-o", tmp_path / "out.jsonl", "--manifest", run, "--kb", kb_copy)
    assert res.exit_code == 0, res.output
    return run


def test_an_edited_conclusion_is_not_reproduced(tmp_path, kb_copy):
    run = recorded_run(tmp_path, kb_copy)
    doc = json.loads(run.read_text())
    assert doc["cases"]["adult-growing-lump"]["conclusions"]["urgency"] == "urgent"
    doc["cases"]["adult-growing-lump"]["conclusions"]["urgency"] = "observe"
    run.write_text(json.dumps(doc))
    res = invoke("verify", run)
    assert res.exit_code == 1, res.output
    assert "NOT REPRODUCED" in res.output and "adult-growing-lump" in res.output


def test_a_malformed_manifest_is_a_one_line_usage_error(tmp_path, kb_copy):
    run = recorded_run(tmp_path, kb_copy)
    good = json.loads(run.read_text())
    for broken in ({k: v for k, v in good.items() if k != "cases"}, {**good, "cases": "not an object"}):
        run.write_text(json.dumps(broken))
        res = invoke("verify", run)
        assert res.exit_code == 2, res.output
        assert "Traceback" not in res.output and res.exception is None or isinstance(res.exception, SystemExit)


def test_a_knowledge_base_failing_check_is_refused_before_it_runs(tmp_path, kb_copy):
    run = recorded_run(tmp_path, kb_copy)
    rule = kb_copy / "queries" / "rules" / "cutaneous-horn-scc-features.rq"
    rule.write_text(rule.read_text().replace("dorsum:entersPathway dorsum:pathway-cutaneous-horn ; ", ""))
    res = invoke("verify", run)
    assert res.exit_code == 2, res.output
    assert str(kb_copy) in res.output
    assert "REPRODUCED" not in res.output
