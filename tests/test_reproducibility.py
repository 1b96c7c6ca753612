"""Run manifests and `dorsum verify`: a researcher records a run and proves, later, that it
reproduces byte for byte, or learns exactly which file or which case conclusion differs."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from rdflib import BNode, Graph, Literal, URIRef

from conftest import ROOT
from reasoner.repro.canonical import canonical_nquads, canonical_sha256
from reasoner.cli import main

# `dorsum verify` checks the knowledge base first; these tests are about verify, so the check's
# report is shared between copies with the same files (conftest.shared_check_reports)
pytestmark = pytest.mark.usefixtures("shared_check_reports")

CASES = ["adult-growing-lump", "adult-size-over-3cm-alone", "child-5-years-hairy-patch"]


def run_dir(tmp_path, kb_copy):
    """A run directory with its own copy of three cases; returns the case directory."""
    cases = tmp_path / "cases"
    cases.mkdir()
    for c in CASES:
        shutil.copy(ROOT / "tests" / "vignettes" / f"{c}.json", cases / f"{c}.json")
    return cases


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_classify_manifest_records_versions_files_inputs_and_output(tmp_path, kb_copy):
    cases = run_dir(tmp_path, kb_copy)
    out, run = tmp_path / "out.jsonl", tmp_path / "run.json"
    res = invoke("classify", cases, "-o", out, "--manifest", run, "--kb", kb_copy)
    assert res.exit_code == 0, res.output
    doc = json.loads(run.read_text())
    import hashlib
    assert doc["output"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert doc["knowledge_base"]["files"]["queries/rules/cyp-red-flags.rq"] == \
        hashlib.sha256((kb_copy / "queries/rules/cyp-red-flags.rq").read_bytes()).hexdigest()
    assert set(doc["inputs"]["files"]) == {f"cases/{c}.json" for c in CASES}
    assert {"python", "packages"} <= set(doc["environment"]) and doc["environment"]["packages"]["rdflib"]
    assert doc["cases"]["adult-growing-lump"]["conclusions"]["urgency"] == "urgent"
    assert doc["created"].endswith("Z") and doc["dorsum_version"]
    res = invoke("verify", run)
    assert res.exit_code == 0, res.output
    assert "REPRODUCED: output byte-identical" in res.output
    assert "warning" not in res.output
    # every installed distribution is recorded; another library version is a warning, not a failure
    assert "pyoxigraph" in doc["environment"]["packages"] and "hypothesis" in doc["environment"]["packages"]
    doc["environment"]["packages"]["rdflib"] = "0.0.1"
    doc["environment"]["packages"]["no-such-package"] = "1.0"
    run.write_text(json.dumps(doc))
    res = invoke("verify", run)
    assert res.exit_code == 0, res.output
    assert "warning: environment differs: rdflib " in res.output and "recorded 0.0.1" in res.output
    assert "no-such-package not installed, recorded 1.0" in res.output


def test_verify_detects_a_one_byte_change_in_a_rule_file(tmp_path, kb_copy):
    cases = run_dir(tmp_path, kb_copy)
    run = tmp_path / "run.json"
    assert invoke("classify", cases, "-o", tmp_path / "out.jsonl", "--manifest", run, "--kb", kb_copy).exit_code == 0
    rule = kb_copy / "queries" / "rules" / "cyp-red-flags.rq"
    rule.write_bytes(rule.read_bytes() + b" ")
    res = invoke("verify", run)
    assert res.exit_code == 1
    assert "knowledge-base file changed: queries/rules/cyp-red-flags.rq" in res.output
    assert "NOT REPRODUCED" in res.output


def test_verify_names_a_changed_input_and_the_case_conclusion_that_moved(tmp_path, kb_copy):
    cases = run_dir(tmp_path, kb_copy)
    run = tmp_path / "run.json"
    assert invoke("classify", cases, "-o", tmp_path / "out.jsonl", "--manifest", run, "--kb", kb_copy).exit_code == 0
    f = cases / "adult-growing-lump.json"
    case = json.loads(f.read_text())
    case["lump"]["growth"] = "stable"
    f.write_text(json.dumps(case))
    res = invoke("verify", run)
    assert res.exit_code == 1
    assert "input file changed: cases/adult-growing-lump.json" in res.output
    line = next(x for x in res.output.splitlines() if "case adult-growing-lump:" in x)
    assert "urgency urgent -> " in line
    assert "case adult-size-over-3cm-alone" not in res.output


def test_rdf_output_is_verified_by_its_canonical_form(tmp_path, kb_copy):
    cases = run_dir(tmp_path, kb_copy)
    run, out = tmp_path / "run.json", tmp_path / "out.ttl"
    assert invoke("classify", cases, "--format", "turtle", "-o", out, "--manifest", run, "--kb", kb_copy).exit_code == 0
    doc = json.loads(run.read_text())
    assert doc["output"]["canonicalization"] == "RDFC-1.0"
    assert canonical_sha256(Graph().parse(out, format="turtle")) == doc["output"]["canonical_sha256"]
    assert invoke("verify", run).exit_code == 0
    # --format nquads writes the canonical form itself (the same triples; Turtle writes the
    # decimal "14" as 14.0, so the lexical forms, not the values, of a few literals differ)
    nq = tmp_path / "out.nq"
    assert invoke("classify", cases, "--format", "nquads", "-o", nq, "--kb", kb_copy).exit_code == 0
    g = Graph().parse(nq, format="nt")
    assert nq.read_text() == canonical_nquads(g)
    assert len(g) == len(Graph().parse(out, format="turtle"))


def test_canonical_form_ignores_blank_node_labels_and_order():
    def graph(order, label):
        g = Graph()
        b = BNode(label)
        triples = [(URIRef("http://example.org/a"), URIRef("http://example.org/p"), b),
                   (b, URIRef("http://example.org/q"), Literal("x", lang="en"))]
        for t in triples[::order]:
            g.add(t)
        return g
    a, b = graph(1, "one"), graph(-1, "two")
    assert canonical_nquads(a) == canonical_nquads(b)
    assert "_:c14n0" in canonical_nquads(a)
    c = graph(1, "one")
    c.add((URIRef("http://example.org/a"), URIRef("http://example.org/p"), Literal(1)))
    assert canonical_sha256(c) != canonical_sha256(a)


def test_verify_refuses_a_file_that_is_not_a_run_manifest(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text("{}")
    res = invoke("verify", bad)
    assert res.exit_code == 2 and "not a dorsum run manifest" in res.output


def test_load_manifest_is_verified_and_names_the_changed_case(tmp_path, kb_copy):
    cases = run_dir(tmp_path, kb_copy)
    run = tmp_path / "load-run.json"
    res = invoke("load", cases, "--store", tmp_path / "store", "--manifest", run, "--kb", kb_copy)
    assert res.exit_code == 0, res.output
    doc = json.loads(run.read_text())
    assert doc["command"] == "load" and doc["output"]["cases"] == 3
    res = invoke("verify", run)
    assert res.exit_code == 0 and "every stored case graph identical" in res.output, res.output
    f = cases / "child-5-years-hairy-patch.json"
    f.write_text(f.read_text().replace('"hairy-patch"', '"discoloration"'))
    res = invoke("verify", run)
    assert res.exit_code == 1
    assert "input file changed: cases/child-5-years-hairy-patch.json" in res.output
    assert "case child-5-years-hairy-patch: stored result graph differs" in res.output
    assert "case adult-growing-lump" not in res.output
