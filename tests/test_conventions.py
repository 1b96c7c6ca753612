"""Command-line conventions users of ROBOT, pySHACL and Oxigraph expect (issue 15): '-' reads
standard input in validate, classify and explain; explain takes several inputs."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT

EXAMPLES = ROOT / "examples"


def dorsum(*args, stdin: bytes = b""):
    return subprocess.run([sys.executable, "-m", "reasoner", *args], input=stdin, capture_output=True, timeout=300)


def test_classify_reads_standard_input_like_a_file():
    case = (EXAMPLES / "growing-lump-adult.json").read_bytes()
    from_file = dorsum("classify", str(EXAMPLES / "growing-lump-adult.json"))
    from_stdin = dorsum("classify", "-", stdin=case)
    assert from_stdin.returncode == 0, from_stdin.stderr
    assert from_stdin.stdout == from_file.stdout  # one case: the same pretty JSON object


def test_standard_input_may_hold_json_lines_and_mix_with_files():
    lines = b"".join(json.dumps(json.loads((EXAMPLES / n).read_text())).encode() + b"\n"
                     for n in ("lipoma-reassured.json", "unknown-growth.json"))
    res = dorsum("classify", str(EXAMPLES / "growing-lump-adult.json"), "-", stdin=lines)
    assert res.returncode == 0, res.stderr
    ids = [json.loads(line)["case"] for line in res.stdout.splitlines()]
    assert ids == ["growing-lump-adult", "lipoma-reassured", "unknown-growth"]  # input order


def test_validate_and_explain_read_standard_input_and_explain_takes_several():
    res = dorsum("validate", "-", stdin=b'{"id": "x1", "patient": {"age_years": 131}}')
    assert res.returncode == 1 and b"x1: patient.age_years" in res.stdout
    res = dorsum("explain", str(EXAMPLES / "lipoma-reassured.json"), "-",
                 stdin=(EXAMPLES / "unknown-growth.json").read_bytes())
    assert res.returncode == 0, res.stderr
    out = res.stdout.decode()
    assert out.index("lipoma-reassured") < out.index("unknown-growth")


def test_turtle_on_standard_input_and_manifest_refused():
    ttl = (b"@prefix dorsum: <https://w3id.org/dorsum/> .\n"
           b"<https://w3id.org/dorsum/case/t9> a dorsum:Case ; dorsum:caseId \"t9\" ; dorsum:patient [ dorsum:ageYears 40 ] .\n")
    res = dorsum("classify", "--stdin-format", "turtle", "-", stdin=ttl)
    assert json.loads(res.stdout)["case"] == "t9", res.stderr
    res = dorsum("classify", "--manifest", "m.json", "-", stdin=b"{}")
    assert res.returncode == 2 and b"standard input" in res.stderr


def test_verbosity_and_quiet_library_logs():
    case = str(EXAMPLES / "lipoma-reassured.json")
    assert b"knowledge base" not in dorsum("classify", case).stderr  # nothing but results by default
    assert b"INFO reasoner.pipeline: knowledge base" in dorsum("-v", "classify", case).stderr
    assert dorsum("-q", "classify", case).stderr == b""


def test_query_text_and_syntax_error_positions_in_the_users_own_text(tmp_path):
    store = tmp_path / "store"
    assert dorsum("load", str(EXAMPLES), "--store", str(store)).returncode == 0
    res = dorsum("query", "--query", "SELECT (COUNT(DISTINCT ?g) AS ?n) { GRAPH ?g { ?c a dorsum:Case } }",
                 "--store", str(store), "--format", "csv")
    assert res.returncode == 0 and res.stdout.split() == [b"n", b"4"], res.stderr
    res = dorsum("query", "--query", "SELECT * WHERE {\n ?s ?p ?o \n FILTER(}", "--store", str(store))
    assert res.returncode == 1 and b"error at 3:" in res.stderr, res.stderr  # line 3 of what the user wrote
    res = dorsum("query", "--query", "ASK {}", "--name", "cases-by-urgency", "--store", str(store))
    assert res.returncode == 2


def test_validate_formats_json_lines_and_a_standard_shacl_report():
    from rdflib import Graph
    from rdflib.namespace import RDF

    from reasoner.namespaces import SH

    inputs = [str(ROOT / "tests" / "invalid-cases" / "unknown-depth-and-misplaced-key.json"),
              str(EXAMPLES / "lipoma-reassured.json")]
    res = dorsum("validate", "--format", "json", *inputs)
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert res.returncode == 1 and [r["conforms"] for r in rows] == [False, True]
    assert {e["path"] for e in rows[0]["errors"]} == {"lump.depth", "patient.size_cm"}
    res = dorsum("validate", "--format", "turtle", *inputs)
    assert res.returncode == 1
    g = Graph().parse(data=res.stdout.decode(), format="turtle")
    reports = {str(r): r for r in g.subjects(RDF.type, SH.ValidationReport)}
    assert set(reports) == {"https://w3id.org/dorsum/case/unknown-depth-and-misplaced-key/validation-report",
                            "https://w3id.org/dorsum/case/lipoma-reassured/validation-report"}
    bad = reports["https://w3id.org/dorsum/case/unknown-depth-and-misplaced-key/validation-report"]
    assert g.value(bad, SH.conforms).toPython() is False
    results = list(g.objects(bad, SH.result))
    assert len(results) == 2
    for r in results:  # what SHACL requires of every result
        assert g.value(r, SH.focusNode) is not None and g.value(r, SH.resultSeverity) == SH.Violation
        assert g.value(r, SH.sourceConstraintComponent) is not None
    assert {str(g.value(r, SH.sourceConstraintComponent)) for r in results} == {
        str(SH.ClassConstraintComponent), str(SH.ClosedConstraintComponent)}


def test_check_formats_one_row_per_problem(kb_copy, shared_check_reports):
    # in process (the formats are the point, not the process); the two formats render one check
    # report of this directory (conftest.shared_check_reports): one pySHACL run instead of two
    from click.testing import CliRunner

    from reasoner.cli import main

    f = kb_copy / "ontology" / "diagnoses.ttl"
    f.write_text(f.read_text().replace('rdfs:label "dermatofibroma"@en ;', "", 1))
    res = CliRunner().invoke(main, ["check", "--no-reasoner", "--kb", str(kb_copy), "--format", "tsv"])
    rows = [line.split("\t") for line in res.stdout.splitlines()]
    assert res.exit_code == 1 and rows[0] == ["severity", "section", "node", "message"]
    assert all(len(r) == 4 for r in rows)
    assert any(r[:3] == ["ERROR", "shapes", "dorsum:dx-dermatofibroma"] and r[3].startswith("concept has no rdfs:label")
               for r in rows), rows
    res = CliRunner().invoke(main, ["check", "--no-reasoner", "--kb", str(kb_copy), "--format", "json"])
    doc = json.loads(res.stdout)
    assert doc["ok"] is False and any(p["node"] == "dorsum:dx-dermatofibroma" for p in doc["problems"])


def test_only_the_command_line_speaks_click():
    """Library modules raise their own errors; reasoner/cli/ alone words them as click's (usage
    errors, exit codes), so the library can serve the endpoint and tests unchanged (issue 16)."""
    import re

    package = ROOT / "reasoner"
    speaking = [str(p.relative_to(ROOT)) for p in package.rglob("*.py")
                if p.relative_to(package).parts[0] != "cli"
                and re.search(r"^\s*(import click|from click\b)", p.read_text(encoding="utf-8"), re.M)]
    assert speaking == []


def test_the_default_rule_test_manifest_is_named_once():
    """One definition of the default manifest path (kb/paths.DEFAULT_MANIFEST, which cli/options
    re-exports and the rule catalogue reads), not one per command."""
    package = ROOT / "reasoner"
    naming = [str(p.relative_to(ROOT)) for p in package.rglob("*.py")
              if '"manifests" / "manifest.ttl"' in p.read_text(encoding="utf-8")
              or '"manifests", "manifest.ttl"' in p.read_text(encoding="utf-8")]
    assert naming == ["reasoner/kb/paths.py"]
