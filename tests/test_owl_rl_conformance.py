"""dorsum's per-case OWL RL steps (queries/inference/) give the case's nodes the same classes as a
full owlrl closure of knowledge base + case would, plus the age groups owlrl cannot derive (they
are defined over data ranges, outside OWL 2 RL; HermiT agrees with dorsum on them, see
test_age_groups). owlrl takes seconds per case, dorsum milliseconds: bench/owl_rl_cost.py prints both."""

from __future__ import annotations

import json

import owlrl
import pytest
from rdflib import Graph
from rdflib.namespace import RDF, SKOS

from conftest import ROOT
from reasoner.namespaces import DORSUM

CASES = ["infant-2-months-dermal-sinus", "adult-ultrasound-lipoma-7cm"]


@pytest.mark.parametrize("name", CASES)
def test_case_node_types_match_owlrl(name, classifier):
    case = json.loads((ROOT / "tests" / "vignettes" / f"{name}.json").read_text())
    from reasoner.case.intake import flat_case
    ci = flat_case(case, name, classifier.ctx)
    derivation = classifier.engine.derive(ci.graph)
    ours = {(s, o) for s, p, o in list(ci.graph) + derivation.triples
            if p == RDF.type and str(s).startswith(ci.iri) and "/conclusion/" not in str(s) and "/missing/" not in str(s)}
    g = Graph()
    g += classifier.kb.graph
    g += ci.graph
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(g)
    theirs = {(s, o) for s, o in g.subject_objects(RDF.type) if str(s).startswith(ci.iri)}
    assert theirs <= ours, sorted(theirs - ours)
    extra = {o for _, o in ours - theirs}
    age_groups = set(classifier.kb.graph.subjects(SKOS.inScheme, DORSUM["scheme-age-group"]))
    assert extra <= age_groups, sorted(extra - age_groups)
