"""Age groups are OWL defined classes: dorsum's compiled rules and HermiT agree on every boundary."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from conftest import requires_java
from reasoner.namespaces import DORSUM

GROUPS = ["neonate", "infant-under-4-months", "child", "child-or-young-person", "young-person", "adult"]

# (age field, value) -> expected age groups
BOUNDARIES = [
    (("age_days", 0), {"neonate", "infant-under-4-months", "child", "child-or-young-person"}),
    (("age_days", 27), {"neonate", "infant-under-4-months", "child", "child-or-young-person"}),
    (("age_days", 28), {"infant-under-4-months", "child", "child-or-young-person"}),
    (("age_months", 3.9), {"infant-under-4-months", "child", "child-or-young-person"}),
    (("age_months", 4), {"child", "child-or-young-person"}),
    (("age_days", 121), {"infant-under-4-months", "child", "child-or-young-person"}),
    (("age_days", 122), {"child", "child-or-young-person"}),
    (("age_years", 15.9), {"child", "child-or-young-person"}),
    (("age_years", 16), {"young-person", "adult", "child-or-young-person"}),
    (("age_months", 192), {"young-person", "adult", "child-or-young-person"}),
    (("age_years", 24.9), {"young-person", "adult", "child-or-young-person"}),
    (("age_years", 25), {"adult"}),
    (("age_years", 95), {"adult"}),
]


def groups_of(classify_case, field, value):
    result = classify_case({"id": "age-test", "patient": {field: value}, "skin_markers": []}).json
    assert result["status"] == "classified", result["errors"]
    return set(result["age_groups"])


@pytest.mark.parametrize("age,expected", BOUNDARIES, ids=[f"{a[0]}={a[1]}" for a, _ in BOUNDARIES])
def test_age_group_boundaries(classify_case, age, expected):
    assert groups_of(classify_case, *age) == expected


@requires_java()
def test_compiled_age_rules_agree_with_hermit(kb, classify_case):
    """Give HermiT the same normalised ages the engine derived; both must name the same groups."""
    from reasoner.qa.hermit import hermit_types

    g = Graph()
    g += kb.graph
    engine_groups, individuals = {}, []
    slug_of = {URIRef(str(c)): str(n) for c, n in kb.graph.subject_objects(URIRef("http://www.w3.org/2004/02/skos/core#notation"))}
    for i, ((field, value), _) in enumerate(BOUNDARIES):
        result = classify_case({"id": f"age-{i}", "patient": {field: value}, "skin_markers": []})
        patient = URIRef(f"https://w3id.org/dorsum/case/age-{i}/patient")
        rg = result.graph
        iri = f"https://w3id.org/dorsum/test/patient-{i}"
        individuals.append(iri)
        g.add((URIRef(iri), RDF.type, DORSUM.Patient))
        for p in (DORSUM.ageInYears, DORSUM.ageInMonths, DORSUM.ageInDays):
            v = rg.value(patient, p)
            g.add((URIRef(iri), p, Literal(str(v), datatype=XSD.decimal)))
        engine_groups[iri] = set(result.json["age_groups"])
    inferred = hermit_types(g, individuals)
    for iri in individuals:
        hermit_groups = {slug_of[URIRef(c)] for c in inferred[iri] if URIRef(c) in slug_of and slug_of[URIRef(c)] in GROUPS}
        assert hermit_groups == engine_groups[iri], iri
