"""`dorsum coverage`: statements -> rules -> test cases; a gap fails it."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from conftest import ROOT, copy_kb
from reasoner.cli import main


def coverage(kb_dir):
    return CliRunner().invoke(main, ["coverage", "--kb", str(kb_dir), "--manifest", str(ROOT / "tests" / "manifests" / "manifest.ttl")])


def test_shipped_knowledge_base_has_no_gap():
    res = CliRunner().invoke(main, ["coverage"])
    assert res.exit_code == 0, res.output
    assert "OK: 0 gap(s)" in res.output
    assert "Informational statements" in res.output and "stmt-benign-lumps-regress" in res.output


NEVER_FIRES = """\
# title: a rule no vignette triggers
# implements: dorsum:stmt-dermatofibroma-excision
# stratum: 1
# status: active
CONSTRUCT { ?dx a dorsum:DifferentialConclusion ; dorsum:aboutCase ?case ; dorsum:diagnosis dorsum:dx-dermatofibroma . }
WHERE { ?case a dorsum:Case ; dorsum:lump/dorsum:sizeCm 99.5 .
        BIND (IRI(CONCAT(STR(?case), "/conclusion/never-fires/dermatofibroma")) AS ?dx) }
"""

UNIMPLEMENTED = """
dorsum:stmt-test-unimplemented a dorsum:RecommendationStatement , owl:NamedIndividual ;
    rdfs:label "test: a recommendation nothing implements"@en ;
    dorsum:statementText "A test statement."@en ; dorsum:articleSection "test" ; dorsum:articleCitation 1 ;
    dcterms:source dorsum:ref-article ; dorsum:status dorsum:status-active .
"""


@pytest.fixture(scope="module")
def two_gaps(tmp_path_factory):
    """One copy of the knowledge base with two independent gaps (a rule no test exercises, a
    recommendation no rule implements) and one `dorsum coverage` over it: each run loads the
    edited knowledge base (its OWL RL closure) and classifies every manifest test case, so the two
    tests share it, each asserting its own gap line. The copy gets tests/ too (the hazard log names
    pytest tests there), so these two are its only gaps and the exit status is theirs."""
    kb_copy = copy_kb(tmp_path_factory.mktemp("gaps") / "kb")
    shutil.copytree(ROOT / "tests", kb_copy / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    (kb_copy / "queries" / "rules" / "never-fires.rq").write_text(NEVER_FIRES)
    with open(kb_copy / "ontology" / "statements.ttl", "a") as fh:
        fh.write(UNIMPLEMENTED)
    return coverage(kb_copy)


def test_rule_without_test_is_a_gap(two_gaps):
    res = two_gaps
    assert res.exit_code == 1 and "FAILED: 2 gap(s)" in res.output, res.output[-2000:]
    assert "GAP rule exercised by no test case: https://w3id.org/dorsum/rule/never-fires" in res.output


def test_recommendation_without_rule_is_a_gap(two_gaps):
    res = two_gaps
    assert res.exit_code == 1 and "FAILED: 2 gap(s)" in res.output, res.output[-2000:]
    assert "GAP recommendation with no active rule: https://w3id.org/dorsum/stmt-test-unimplemented" in res.output
