"""`dorsum explain` shows the proof as a DAG: a step several conclusions rest on is printed once
and referred back to, in text, JSON and HTML; the JSON is the result plus its proof."""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

from click.testing import CliRunner
from rich.console import Console

from reasoner import DISCLAIMER
from reasoner.cli import main
from reasoner.results.explained import explain_html, explained
from reasoner.results.report import render_report
from reasoner.results.view import dumps

ROOT = Path(__file__).resolve().parent.parent
ADULT = ROOT / "examples" / "growing-lump-adult.json"
INFANT = ROOT / "examples" / "infant-dermal-sinus.json"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def explain_json(classifier, path) -> dict:
    """What `dorsum explain --format json` prints for one case (the session's classifier: the
    command's own run is tested once, below)."""
    [result] = classifier.classify_paths([path])
    return json.loads(dumps(explained(result, classifier.view)))


def test_text_prints_a_shared_premise_once_and_refers_back_to_it(classifier):
    [result] = classifier.classify_paths([ADULT])
    buf = io.StringIO()
    render_report(result, classifier, Console(file=buf, width=160, no_color=True, highlight=False))
    out = buf.getvalue()
    # the red flag "rapid growth" supports the urgency, the ultrasound and the differential: its
    # rule is printed once, each later use is a numbered back-reference
    assert out.count("rule adult-red-flags:") == 1
    numbered = re.search(r"\[(\d+)\] risk factor: rapid-growth", out)
    assert numbered, out
    assert out.count(f"see [{numbered.group(1)}] risk factor: rapid-growth") >= 2
    assert "departs from stmt-opening-urgent-ultrasound-growing-lump" in out


def test_json_is_the_classify_result_plus_a_proof_dag_whose_references_resolve():
    res = invoke("explain", "--format", "json", ADULT)
    assert res.exit_code == 0, res.output
    explained = json.loads(res.output)
    proof = explained.pop("proof")
    classified = json.loads(invoke("classify", ADULT).output)
    assert explained == classified
    nodes = proof["nodes"]
    for key, n in nodes.items():
        if n["kind"] != "conclusion":
            continue
        assert nodes[n["rule"]]["kind"] == "rule"
        assert all(nodes[p]["kind"] == "conclusion" for p in n["premises"])
        assert all(nodes[f]["kind"] == "input" for f in n["inputs"])
        assert all(nodes[s]["kind"] == "statement" for s in n["statements"] + n["departs_from"])
    parents = {}
    for key, n in nodes.items():
        for p in n.get("premises", ()):
            parents.setdefault(p, set()).add(key)
    shared = [p for p, ps in parents.items() if len(ps) > 1]
    assert shared, "the adult example has a premise several conclusions rest on"
    # every item the result shows has a root conclusion of its key and item in the proof
    shown = {(n["shown_as"]["key"], n["shown_as"]["item"]) for n in nodes.values()
             if n["kind"] == "conclusion" and n["shown_as"]}
    assert ("actions", "ultrasound-soft-tissue") in shown
    assert ("urgency", classified["urgency"]["level"]) in shown
    stmt = nodes["https://w3id.org/dorsum/stmt-ng12-adult-urgent-ultrasound"]
    assert stmt["evidence_status"] == "verified" and any("NG12" in r["citation"] for r in stmt["references"])
    conflicted = nodes["https://w3id.org/dorsum/stmt-opening-urgent-ultrasound-growing-lump"]
    assert conflicted["conflict"] and "NG12" in conflicted["conflict"]


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.hrefs, self.details = [], [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "a" and a.get("href", "").startswith("#"):
            self.hrefs.append(a["href"][1:])
        self.details += tag == "details"


def test_html_is_one_page_with_each_step_once_and_working_back_references(classifier):
    items = [explain_json(classifier, p) for p in (ADULT, INFANT)]
    html = explain_html(items)
    page = _Links()
    page.feed(html)
    assert len(page.ids) == len(set(page.ids)), "anchors are unique across cases"
    assert page.hrefs and set(page.hrefs) <= set(page.ids)
    conclusions = sum(1 for item in items for n in item["proof"]["nodes"].values() if n["kind"] == "conclusion")
    assert page.details == conclusions
    assert html.count(DISCLAIMER) == 1


def test_invalid_case_has_no_proof_in_json(classifier, tmp_path):
    f = tmp_path / "bad.json"
    f.write_text(json.dumps({"id": "bad", "patient": {"age_years": -4}}))
    out = explain_json(classifier, f)
    assert out["status"] == "invalid" and out["proof"] is None and out["errors"][0]["path"] == "patient.age_years"
