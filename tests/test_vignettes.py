"""Clinical vignettes: each file under tests/vignettes/ is a case and the conclusions the contract
(docs/clinical-behaviour.md) says it must give. Written independently of the rules."""

from __future__ import annotations

import json

import pytest

from conftest import VIGNETTES


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", VIGNETTES, ids=[p.stem for p in VIGNETTES])
def test_vignette(path, classify_case):
    v = load(path)
    result = classify_case(v["case"]).json
    expect = v["expect"]
    assert result["status"] == "classified", result["errors"]
    got = {
        "urgency": result["urgency"]["level"],
        "actions": {a["action"]: a["within_days"] for a in result["actions"]},
        "warnings": [w["warning"] for w in result["warnings"]],
        "differential": [d["diagnosis"] for d in result["differential"]],
        "risk_factors": [r["factor"] for r in result["risk_factors"]],
        "missing": [m["finding"] for m in result["missing"]],
    }
    want = {k: expect[k] for k in got}
    assert got == want, v["description"]
    for action, strength in expect.get("strength", {}).items():
        assert next(a for a in result["actions"] if a["action"] == action).get("strength") == strength


@pytest.mark.parametrize("path", VIGNETTES, ids=[p.stem for p in VIGNETTES])
def test_every_conclusion_carries_rule_statement_and_reference(path, classify_case):
    result = classify_case(load(path)["case"]).json
    conclusions = [result["urgency"]] + [x for k in ("actions", "warnings", "differential", "risk_factors", "missing")
                                         for x in result[k]]
    for c in conclusions:
        assert c["rule"].startswith("https://w3id.org/dorsum/rule/"), c
        assert c["statements"], c
        assert c["references"] and all(r["citation"] for r in c["references"]), c
