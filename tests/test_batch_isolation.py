"""The analysis that decides whether a query may run over a batch of cases in one store
(reasoner/engine/batch_isolation.py). A query that passes but could join two cases' data would let one
case change another's conclusions, so each construct that must fail (or be checked after the run)
is checked here; the end-to-end behaviour is in test_case_isolation."""

from __future__ import annotations

from rdflib import URIRef
from rdflib.namespace import RDF

from reasoner.engine.batch_isolation import analyse
from reasoner.engine.query_analysis import parse_algebra
from reasoner.namespaces import SPARQL_PREFIXES

KB = "https://w3id.org/dorsum/graph/kb"
D = "https://w3id.org/dorsum/"


def verdict(where: str, template: str = "?case dorsum:x 1"):
    return analyse(parse_algebra(f"{SPARQL_PREFIXES} CONSTRUCT {{ {template} }} WHERE {{ {where} }}"), KB)


def test_patterns_reached_forward_from_the_case_are_anchored():
    v = verdict("?case a dorsum:Case ; dorsum:lump ?l . ?l dorsum:depth ?d . ?d rdfs:label ?label . "
                "?l dorsum:imaging/dorsum:ultrasound ?u OPTIONAL { ?u ?p ?o }")
    assert v.batchable and v.kb_only == () and v.root == "case"


def test_a_backward_step_needs_the_guarded_root():
    guarded = verdict("?case a dorsum:Case . ?c dorsum:aboutCase ?case ; dorsum:level ?lvl")
    assert guarded.batchable and guarded.kb_only == ()
    # unguarded, ?case may be a knowledge-base term that every case's nodes point at: checked after the run
    unguarded = verdict("?case dorsum:x ?y . ?c dorsum:aboutCase ?case ; dorsum:level ?lvl")
    assert unguarded.batchable and (None, URIRef(D + "aboutCase"), None) in unguarded.kb_only
    # and never from a term reached forward (a shared value)
    shared = verdict("?case a dorsum:Case ; dorsum:depth ?d . ?other dorsum:depth ?d")
    assert (None, URIRef(D + "depth"), None) in shared.kb_only


def test_free_patterns_must_match_the_knowledge_base_alone():
    v = verdict("?case a dorsum:Case . ?f a dorsum:ChecklistFeature ; dorsum:weight ?w . "
                "dorsum:threshold-x dorsum:thresholdValue ?t")
    assert v.batchable
    assert set(v.kb_only) == {(None, RDF.type, URIRef(D + "ChecklistFeature")), (None, URIRef(D + "weight"), None),
                              (URIRef(D + "threshold-x"), URIRef(D + "thresholdValue"), None)}


def test_an_optional_is_anchored_only_by_what_came_before_it():
    # the OPTIONAL is evaluated before ?l is tied to the case: its match or failure reads every case
    v = verdict("?case a dorsum:Case OPTIONAL { ?l dorsum:depth ?d } ?case dorsum:lump ?l")
    assert (None, URIRef(D + "depth"), None) in v.kb_only


def test_constructs_that_mix_cases_whatever_the_data_are_not_batchable():
    for where in ("?case a dorsum:Case . ?x ?p ?o",                                      # any triple of any case
                  "{ SELECT ?case WHERE { ?case a dorsum:Case } LIMIT 1 }",               # one case of all
                  "{ SELECT (COUNT(?c) AS ?n) WHERE { ?c a dorsum:Case } } ?case a dorsum:Case",  # count over all
                  "?case a dorsum:Case ; dorsum:depth/^dorsum:depth ?other . ?other dorsum:lump ?l",  # inverse inside a path
                  "?case a dorsum:Case . { SELECT ?y WHERE { ?z dorsum:lump ?y } }"):     # a subquery tied to nothing
        v = verdict(where)
        assert not v.batchable and v.reason, where


def test_a_subquery_tied_to_an_anchored_variable_is_batchable():
    v = verdict("?case a dorsum:Case ; dorsum:lump ?lump . OPTIONAL { SELECT ?lump (SUM(?w) AS ?n) "
                "WHERE { ?lump dorsum:lesion ?les . ?les dorsum:w ?w } GROUP BY ?lump }")
    assert v.batchable and v.kb_only == ()


def test_the_knowledge_base_graph_is_not_case_data():
    v = verdict("?case a dorsum:Case . GRAPH <%s> { ?s ?p ?o }" % KB)
    assert v.batchable and v.kb_only == ()
