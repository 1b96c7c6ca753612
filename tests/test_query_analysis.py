"""What the engine reads from a query before running it (reasoner/engine/query_analysis.py): the keys every
solution needs (a query is not run while one has no triple in the store), and whether a query is
linear (re-run over the newly derived triples alone). A wrong answer would silently drop
conclusions, so each construct that must not count as required or linear is checked."""

from __future__ import annotations

from reasoner.engine.query_analysis import is_linear, required_keys

STATIC = frozenset({"urn:kb"})
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def req(where: str) -> frozenset:
    return required_keys(f"CONSTRUCT {{ ?x <urn:out> 1 }} WHERE {{ {where} }}", STATIC)


def test_required_keys_are_the_patterns_every_solution_matches():
    assert req("?x a <urn:Case> ; <urn:lump>/<urn:size> ?s") == {(TYPE, "urn:Case"), "urn:lump", "urn:size"}
    assert req("?x <urn:p> ?y OPTIONAL { ?x <urn:q> ?z }") == {"urn:p"}
    assert req("?x <urn:p> ?y MINUS { ?x <urn:q> ?z }") == {"urn:p"}
    assert req("?x <urn:p> ?y FILTER NOT EXISTS { ?x <urn:q> ?z }") == {"urn:p"}
    assert req("?x <urn:p> ?y FILTER EXISTS { ?x <urn:q> ?z }") == {"urn:p"}
    assert req("{ ?x <urn:p> ?y ; <urn:a> 1 } UNION { ?x <urn:p> ?y ; <urn:b> 1 }") == {"urn:p"}
    assert req("?x <urn:p>* ?y . ?x <urn:q>+ ?z . ?x <urn:r>|<urn:s> ?w") == {"urn:q"}
    assert req("?x a ?c") == set()  # any class: nothing certain
    assert req("GRAPH <urn:kb> { ?x <urn:k> ?y } ?x <urn:p> ?z") == {"urn:p"}  # the KB is always there


def test_an_aggregate_requires_nothing_below_it():
    """COUNT over no rows still answers (0), so its patterns must not stop the query running."""
    assert req("{ SELECT (COUNT(?y) AS ?n) WHERE { ?x <urn:p> ?y } } BIND (1 AS ?x)") == set()


def test_an_aggregate_grouped_by_requires_what_it_groups():
    """GROUP BY over no rows gives no group, so the patterns below it are required."""
    assert req("{ SELECT ?x (SUM(?y) AS ?n) WHERE { ?x <urn:p> ?y } GROUP BY ?x }") == {"urn:p"}


def test_each_union_branch_is_one_way_to_match():
    """A query with a UNION may match when every key of one branch (and of what joins it) is
    present: the engine runs it only then."""
    from reasoner.engine.query_analysis import required_alternatives

    def alts(where: str):
        return set(required_alternatives(f"CONSTRUCT {{ ?x <urn:out> 1 }} WHERE {{ {where} }}", STATIC))

    assert alts("?x <urn:c> ?l { ?l <urn:a> 1 } UNION { ?l <urn:b> ?z }") == {frozenset({"urn:c", "urn:a"}),
                                                                              frozenset({"urn:c", "urn:b"})}
    assert alts("?x <urn:c> ?l { ?l <urn:a> 1 } UNION { BIND (1 AS ?z) }") == {frozenset({"urn:c"})}
    assert alts("?x <urn:c> ?l OPTIONAL { { ?l <urn:a> 1 } UNION { ?l <urn:b> 1 } }") == {frozenset({"urn:c"})}
    many = " ".join(f"{{ ?x <urn:a{i}> 1 }} UNION {{ ?x <urn:b{i}> 1 }}" for i in range(6))  # 2^6 ways: merged
    assert alts(f"?x <urn:c> 1 . {many.replace('} {', '} . {')}") == {frozenset({"urn:c"})}


def test_linear_queries_have_one_pattern_over_derived_data():
    def lin(where: str) -> bool:
        return is_linear(f"CONSTRUCT {{ ?x <urn:out> ?y }} WHERE {{ {where} }}", STATIC)

    assert lin("?x <urn:p> ?y")
    assert lin("?x <urn:p> ?y GRAPH <urn:kb> { <urn:p> <urn:k> ?v ; <urn:j> ?w } FILTER NOT EXISTS { GRAPH <urn:kb> { ?y a ?t } }")
    assert not lin("?x <urn:p> ?y . ?y <urn:q> ?z")
    assert not lin("?x <urn:p>/<urn:q> ?y")  # a path is two triples
    assert not lin("?x <urn:p> ?y FILTER NOT EXISTS { ?y <urn:q> ?z }")
    assert not lin("{ SELECT ?x (COUNT(?z) AS ?y) WHERE { ?x <urn:p> ?z } GROUP BY ?x }")
    assert not lin("{ SELECT ?x ?y WHERE { ?x <urn:p> ?y } LIMIT 1 }")


def test_what_a_query_reads_includes_its_exists_patterns():
    """A FILTER EXISTS pattern can let a re-run find new solutions once its triple is derived: it
    must count among what the query reads (rdflib leaves it unparsed in its algebra)."""
    from reasoner.engine.query_analysis import store_reads

    q = "CONSTRUCT { ?x <urn:out> 1 } WHERE { ?x <urn:p> ?y FILTER EXISTS { ?y <urn:q> ?z ; <urn:r>/<urn:s> 1 } }"
    assert store_reads(q, STATIC) == {"urn:p", "urn:q", "urn:r", "urn:s"}
    kb_only = "CONSTRUCT { ?x <urn:out> 1 } WHERE { ?x <urn:p> ?y FILTER NOT EXISTS { GRAPH <urn:kb> { ?y a ?t } } }"
    assert store_reads(kb_only, STATIC) == {"urn:p"}


def test_a_variable_predicate_bounded_by_the_knowledge_base_reads_only_what_the_kb_allows():
    """`?x ?p ?y` joined with `GRAPH <kb> { ?p <urn:k> ?v }` can only read triples whose predicate
    has <urn:k> in the KB: the engine re-runs it only when one of those is derived. A bound that
    not every solution meets (OPTIONAL, UNION) or that a subquery scopes apart bounds nothing."""
    from reasoner.engine.query_analysis import store_reads

    def reads(where: str):
        return store_reads(f"CONSTRUCT {{ ?x <urn:out> 1 }} WHERE {{ {where} }}", STATIC, "urn:kb")

    assert reads("?x ?p ?y GRAPH <urn:kb> { ?p <urn:k> ?v }") == {("kb", "predicate", (("s", "urn:k", None),))}
    assert reads("?x a ?c GRAPH <urn:kb> { ?c <urn:sub> <urn:Top> }") == {("kb", "class", (("s", "urn:sub", "urn:Top"),))}
    assert reads("?x ?p ?y GRAPH <urn:kb> { <urn:a> <urn:k> ?p }") == {("kb", "predicate", (("o", "urn:k", "urn:a"),))}
    assert reads("?x ?p ?y OPTIONAL { GRAPH <urn:kb> { ?p <urn:k> ?v } }") is None
    assert reads("?x ?p ?y { GRAPH <urn:kb> { ?p <urn:k> ?v } } UNION { BIND (1 AS ?z) }") is None
    assert reads("?x ?p ?y { SELECT ?q WHERE { GRAPH <urn:kb> { ?p <urn:k> ?q } } }") is None
    assert reads("?x ?p ?y GRAPH <urn:other> { ?p <urn:k> ?v }") is None  # only the KB graph is fixed
    assert reads("?x a ?c") == {"rdf:type *"}


def test_the_engine_resolves_kb_bounds_to_the_knowledge_base_values(classifier):
    """A bounded key becomes the predicates (or classes) the knowledge base gives the variable."""
    from rdflib import URIRef
    from rdflib.namespace import RDF, RDFS

    engine = classifier.engine
    bound = frozenset({("kb", "class", (("s", str(RDFS.subClassOf), None),))})
    resolved = engine._resolve_reads(bound)
    kb_classes = {str(s) for s in classifier.kb.graph.subjects(RDFS.subClassOf) if isinstance(s, URIRef)}
    assert kb_classes and all(k[0] == str(RDF.type) for k in resolved)
    assert {k[1] for k in resolved} >= kb_classes
    assert engine._resolve_reads(None) is None
