"""`dorsum check`: the shipped knowledge base passes; each kind of defect is caught and named."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from conftest import ROOT, copy_kb, requires_java
from reasoner.cli import main
from reasoner.kb.knowledge_base import load_kb


def run_check(kb_dir, *extra):
    return CliRunner().invoke(main, ["check", "--kb", str(kb_dir), *extra])


@requires_java()
def test_shipped_knowledge_base_passes_check_with_hermit():
    res = run_check(ROOT)
    assert res.exit_code == 0, res.output
    assert "HermiT   consistent, no unsatisfiable classes" in res.output
    from reasoner.kb.knowledge_base import load_kb
    assert re.search(r"version\s+" + re.escape(load_kb(ROOT).version) + r"\n", res.output)  # owl:versionInfo
    assert re.search(r"sha256\s+[0-9a-f]{64}", res.output)
    m = re.search(r"counts\s+(\d+) classes, (\d+) statements, (\d+) references, (\d+) rules", res.output)
    assert m and all(int(x) > 0 for x in m.groups()), res.output


def _remove_label(kb_dir):
    f = kb_dir / "ontology" / "diagnoses.ttl"
    text = f.read_text()
    f.write_text(text.replace('rdfs:label "dermatofibroma"@en ;', "", 1))


def _duplicate_slug(kb_dir):
    f = kb_dir / "ontology" / "diagnoses.ttl"
    f.write_text(f.read_text().replace('skos:notation "dermatofibroma"', 'skos:notation "lipoma"', 1))


def _strip_statement_reference(kb_dir):
    f = kb_dir / "ontology" / "statements.ttl"
    text = f.read_text()
    block_start = text.index("dorsum:stmt-red-flag-pain a ")
    block_end = text.index(" .\n", block_start)
    block = text[block_start:block_end]
    stripped = re.sub(r"\n\s*dcterms:source [^;]*;", "", block)
    assert stripped != block
    f.write_text(text[:block_start] + stripped + text[block_end:])


def _dangle_reference(kb_dir):
    f = kb_dir / "ontology" / "thresholds.ttl"
    f.write_text(f.read_text().replace("dcterms:source dorsum:ref-nice-ng12 ;", "dcterms:source dorsum:ref-nice-ng99 ;", 1))


@pytest.fixture(scope="module")
def defects_check(tmp_path_factory):
    """One copy of the knowledge base with four independent defects (a missing label, a duplicate
    slug, a statement without a reference, a dangling reference) and one `dorsum check
    --no-reasoner` over it: each check run costs a pySHACL validation and every QA query, so the
    four tests below share it, each asserting that its own defect is named as an ERROR (an ERROR
    is what fails the check: CheckReport.ok) and that the run fails."""
    kb_dir = copy_kb(tmp_path_factory.mktemp("defects") / "kb")
    for edit in (_remove_label, _duplicate_slug, _strip_statement_reference, _dangle_reference):
        edit(kb_dir)
    return run_check(kb_dir, "--no-reasoner")


def test_missing_label_is_named(defects_check):
    res = defects_check
    assert res.exit_code == 1
    assert re.search(r"ERROR shapes: dorsum:dx-dermatofibroma: concept has no rdfs:label", res.output), res.output


def test_duplicate_slug_is_named(defects_check):
    res = defects_check
    assert res.exit_code == 1
    assert "duplicate-slug-violation: dorsum:dx-dermatofibroma" in res.output, res.output
    assert "duplicate-slug-violation: dorsum:dx-lipoma" in res.output
    assert re.search(r"^ERROR duplicate-slug-violation: dorsum:dx-dermatofibroma\b", res.output, re.M), res.output
    assert re.search(r"^ERROR duplicate-slug-violation: dorsum:dx-lipoma\b", res.output, re.M), res.output


def test_statement_without_reference_is_named(defects_check):
    res = defects_check
    assert res.exit_code == 1
    assert re.search(r"dorsum:stmt-red-flag-pain: statement needs at least one dcterms:source", res.output), res.output
    assert re.search(r"^ERROR .*dorsum:stmt-red-flag-pain: statement needs at least one dcterms:source", res.output, re.M), res.output


def test_malformed_turtle_names_file_and_line(kb_copy):
    f = kb_copy / "ontology" / "thresholds.ttl"
    lines = f.read_text().splitlines()
    lines[12] = lines[12] + " this is not turtle ;;"
    f.write_text("\n".join(lines) + "\n")
    res = run_check(kb_copy, "--no-reasoner")
    assert res.exit_code == 1
    assert re.search(r"ERROR load: ontology/thresholds\.ttl:13: ", res.output), res.output


@requires_java()
def test_unsatisfiable_class_is_named(kb_copy):
    # a child (under 16) who is also an adult (16 or over): age in years is functional, so no such patient
    (kb_copy / "ontology" / "broken.ttl").write_text(
        "@prefix dorsum: <https://w3id.org/dorsum/> .\n@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "dorsum:ImpossiblePatient a owl:Class ; rdfs:subClassOf dorsum:Child , dorsum:Adult .\n")
    res = run_check(kb_copy)
    assert res.exit_code == 1
    assert "ERROR hermit: <https://w3id.org/dorsum/ImpossiblePatient>: unsatisfiable class" in res.output, res.output


def test_dangling_reference_is_named(defects_check):
    res = defects_check
    assert res.exit_code == 1
    assert "dangling-reference-violation" in res.output and "ref-nice-ng99" in res.output
    assert re.search(r"^ERROR dangling-reference-violation: .*ref-nice-ng99", res.output, re.M), res.output


def test_hash_is_stable_and_changes_with_one_triple(kb_copy):
    first, second = load_kb(kb_copy).sha256, load_kb(kb_copy).sha256
    assert first == second and re.fullmatch(r"[0-9a-f]{64}", first)
    f = kb_copy / "ontology" / "thresholds.ttl"
    f.write_text(f.read_text() + '\n<https://w3id.org/dorsum/threshold-urgent-days> <http://www.w3.org/2000/01/rdf-schema#comment> "x" .\n')
    assert load_kb(kb_copy).sha256 != first


def test_hash_ignores_turtle_layout(kb_copy):
    """Canonical: reformatting a file (here, reordering its lines' whitespace) keeps the hash."""
    before = load_kb(kb_copy).sha256
    f = kb_copy / "ontology" / "diagnoses.ttl"
    f.write_text(f.read_text().replace(" ;\n    ", " ;\n        "))
    assert load_kb(kb_copy).sha256 == before


def test_hash_is_the_same_in_another_process():
    import subprocess
    import sys
    code = "from reasoner.kb.knowledge_base import load_kb; print(load_kb().sha256)"
    a = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONHASHSEED": "1", "PATH": ""}, cwd=ROOT)
    b = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONHASHSEED": "2", "PATH": ""}, cwd=ROOT)
    assert a.stdout.strip() == b.stdout.strip() == load_kb(ROOT).sha256


@pytest.mark.parametrize("check", sorted((ROOT / "queries" / "checks").glob("*.rq")), ids=lambda p: p.stem)
def test_every_qa_check_documents_itself(check):
    head = check.read_text().splitlines()[:3]
    assert head[0].startswith("# title:") and any(l.startswith("# severity:") for l in head)


@requires_java()
def test_owl_imports_are_never_fetched(kb_copy):
    f = kb_copy / "ontology" / "dorsum.ttl"
    f.write_text(f.read_text() + "\n<https://w3id.org/dorsum/ontology> owl:imports <http://example.org/remote-ontology.owl> .\n")
    res = run_check(kb_copy)
    assert res.exit_code == 0, res.output
    assert re.search(r"INFO  owl-imports-not-followed: \S*ontology\S*: owl:imports is declared but never followed", res.output), res.output
    assert "http://example.org/remote-ontology.owl" in res.output


def test_case_file_owl_imports_is_rejected_not_fetched(tmp_path, classifier):
    f = tmp_path / "imports.ttl"
    f.write_text("""@prefix dorsum: <https://w3id.org/dorsum/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
<https://w3id.org/dorsum/case/i1> a dorsum:Case ; dorsum:caseId "i1" ;
    owl:imports <http://example.org/evil.owl> ;
    dorsum:patient <https://w3id.org/dorsum/case/i1/patient> .
<https://w3id.org/dorsum/case/i1/patient> dorsum:ageYears 40 .
""")
    (r,) = list(classifier.classify_paths([f]))
    assert r.status == "invalid"
    assert any(e["path"] == "http://www.w3.org/2002/07/owl#imports" or "does not belong" in e["message"] for e in r.json["errors"])
