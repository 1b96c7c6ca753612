"""The commands as a user runs them: output shapes, exit codes, the report."""

from __future__ import annotations

import json

from click.testing import CliRunner

from conftest import ROOT
from reasoner import DISCLAIMER
from reasoner.cli import main

EXAMPLES = ROOT / "examples"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_single_case_gives_one_json_object():
    res = invoke("classify", EXAMPLES / "growing-lump-adult.json")
    assert res.exit_code == 0, res.output
    result = json.loads(res.output)
    assert list(result) == ["case", "status", "errors", "age_groups", "pathways", "urgency", "actions", "warnings",
                            "differential", "risk_factors", "missing", "knowledge_base", "disclaimer"]
    assert result["pathways"] == ["adult-soft-tissue"]
    assert result["urgency"]["level"] == "urgent" and result["urgency"]["within_days"] == 14
    action = next(a for a in result["actions"] if a["action"] == "ultrasound-soft-tissue")
    assert action["strength"] == "consider" and action["within_days"] == 14
    assert "lump.growth = increasing" in action["because"]
    assert result["disclaimer"] == DISCLAIMER


def test_several_files_give_json_lines_in_input_order(tmp_path):
    names = ["unknown-growth", "growing-lump-adult", "lipoma-reassured"]
    res = invoke("classify", *[EXAMPLES / f"{n}.json" for n in names])
    assert res.exit_code == 0
    assert [json.loads(line)["case"] for line in res.output.splitlines()] == names


def test_directory_and_output_file(tmp_path):
    out = tmp_path / "out.jsonl"
    res = invoke("classify", EXAMPLES, "-o", out)
    assert res.exit_code == 0 and res.output == ""
    cases = [json.loads(line)["case"] for line in out.read_text().splitlines()]
    assert cases == sorted(p.stem for p in EXAMPLES.glob("*.json"))


def test_usage_errors_exit_2(tmp_path):
    assert invoke("classify").exit_code == 2
    assert invoke("classify", tmp_path / "does-not-exist.json").exit_code == 2
    assert invoke("classify", "--format", "xml", EXAMPLES).exit_code == 2


def test_turtle_output_carries_prov(tmp_path):
    from rdflib import Graph
    res = invoke("classify", "--format", "turtle", EXAMPLES / "growing-lump-adult.json")
    assert res.exit_code == 0
    g = Graph().parse(data=res.output, format="turtle")
    q = """PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX dorsum: <https://w3id.org/dorsum/>
    SELECT ?c ?rule ?finding WHERE { ?c a dorsum:ActionRecommendation ; dorsum:action dorsum:action-ultrasound-soft-tissue ;
      prov:wasGeneratedBy ?act . ?act prov:qualifiedAssociation/prov:hadPlan ?rule ; prov:used ?finding .
      ?finding dorsum:findingPath "lump.growth" }"""
    rows = list(g.query(q))
    assert rows and str(rows[0][1]) == "https://w3id.org/dorsum/rule/ng12-adult-growing-lump-ultrasound"


def test_explain_shows_conclusions_proof_tree_and_one_disclaimer():
    res = invoke("explain", EXAMPLES / "infant-dermal-sinus.json")
    assert res.exit_code == 0, res.output
    out = res.output
    assert "URGENCY" in out and "Proof (conclusion <- rule" in out
    assert "rule skin-markers-infant-spine-ultrasound" in out
    assert "input skin_markers = [dermal-sinus, hairy-patch]" in out
    assert "stmt-infant-spine-ultrasound" in out
    assert out.count(DISCLAIMER.split(";")[0]) == 1


def test_explain_invalid_case(tmp_path):
    f = tmp_path / "bad.json"
    f.write_text(json.dumps({"id": "bad", "patient": {"age_years": -4}}))
    res = invoke("explain", f)
    assert res.exit_code == 1
    assert "INVALID" in res.output and "patient.age_years = -4" in res.output
