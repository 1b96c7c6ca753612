"""A case's graph as the store keeps it: the same information as its result graph, in fewer quads.

The store holds the knowledge base once, in its own graph, and each case in its own graph
(store/case_store.py). A stored case graph therefore leaves out what the knowledge base already
says or entails, and adds a summary the saved analytics queries read without joins:
- no rdf:type the ontology entails from the other triples of the graph (except the case node's own
  class, `?c a dorsum:Case`, where analysts' queries start): owl:Thing, a superclass
  of another type of the same node (rdfs:subClassOf, transitively), or a class a property's
  rdfs:domain or rdfs:range gives (prov:Entity, dorsum:Conclusion, dorsum:InputFinding,
  prov:Activity, ...). The knowledge base's axioms give them back (RDFS entailment);
- what the case's PROV-O already says: a dorsum:becauseOf turned into an input finding the firing
  used, a finding's label and case, and the rest provenance.py's _stored_provenance leaves out;
- each rule's prov:Association (agent: the engine, plan: the rule) is written once, in the
  knowledge-base graph, as <rule IRI>/association (rule_associations); a firing names it;
- the summary: the case node -> each value its result shows, by the property the ontology declares
  on the conclusion's kind (dorsum:caseSummary in ontology/results.ttl: the urgency level the
  result shows, its actions, warnings, differential, risk factors, missing findings), and
  dorsum:hasAgeGroup for the age groups the result shows. Which kinds, properties and ranking
  apply is the knowledge base's declaration; no clinical term is named here.
Everything about a case is still in its one graph, so replacing a case replaces it whole.
"""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from ..namespaces import DORSUM, PROV
from ..terms import to_ox

_TYPE, _THING, _BECAUSE = to_ox(RDF.type), to_ox(OWL.Thing), to_ox(DORSUM.becauseOf)
_ABOUT, _PATIENT, _AGE_GROUP = to_ox(DORSUM.aboutCase), to_ox(DORSUM.patient), to_ox(DORSUM.hasAgeGroup)
AGE_GROUP_SCHEME = DORSUM["scheme-age-group"]  # the scheme of the result's age_groups (view.py)


def association_iri(rule: str) -> ox.NamedNode:
    """The one prov:Association of a rule (in the knowledge-base graph of a store)."""
    return ox.NamedNode(rule + "/association")


def rule_associations(kb) -> list:
    """The knowledge-base graph's prov:Association of every rule: agent the engine, plan the rule."""
    T = ox.Triple
    out = []
    for rule in sorted({str(r) for r in kb.graph.subjects(RDF.type, DORSUM.Rule) if isinstance(r, URIRef)}):
        a = association_iri(rule)
        out += [T(a, _TYPE, to_ox(PROV.Association)), T(a, to_ox(PROV.agent), to_ox(DORSUM.engine)),
                T(a, to_ox(PROV.hadPlan), ox.NamedNode(rule))]
    return out


class _Axioms:
    """What the knowledge base entails about types, and its declared case summaries, read once."""

    def __init__(self, kb):
        g = kb.graph
        direct: dict = {}
        for c, d in g.subject_objects(RDFS.subClassOf):
            if isinstance(c, URIRef) and isinstance(d, URIRef):
                direct.setdefault(to_ox(c), set()).add(to_ox(d))
        self.supers: dict = {}
        for c in direct:
            seen, todo = set(), list(direct[c])
            while todo:
                d = todo.pop()
                if d not in seen:
                    seen.add(d)
                    todo += direct.get(d, ())
            self.supers[c] = seen
        # the classes a property's domain (subject) or range (object) gives, with their superclasses
        self.domain: dict = {}
        self.range: dict = {}
        for rel, into in ((RDFS.domain, self.domain), (RDFS.range, self.range)):
            for p, c in g.subject_objects(rel):
                if isinstance(p, URIRef) and isinstance(c, URIRef):
                    c = to_ox(c)
                    into.setdefault(to_ox(p), set()).update({c} | self.supers.get(c, set()))
        self.summaries = []   # (class, value property, case property, ranked_by or None)
        for cls, prop in g.subject_objects(DORSUM.caseSummary):
            value = g.value(cls, DORSUM.conclusionValue)
            if value is not None:
                single = g.value(cls, DORSUM.jsonSingle)
                ranked = g.value(cls, DORSUM.jsonRankedBy) if single is not None and single.toPython() else None
                self.summaries.append((to_ox(cls), to_ox(value), to_ox(prop), ranked))
        self.summaries.sort(key=lambda s: s[2].value)
        self.rank = {}
        for _c, _v, _p, ranked in self.summaries:
            if ranked is not None:
                self.rank.update((to_ox(x), int(r)) for x, r in g.subject_objects(ranked))
        self.age_groups = {to_ox(c) for c in g.subjects(SKOS.inScheme, AGE_GROUP_SCHEME)}

    def strict_supers(self, c) -> set:
        """The superclasses of c that are not also its subclasses (an equivalent class is kept)."""
        return {d for d in self.supers.get(c, ()) if c not in self.supers.get(d, ())}


def _axioms(kb) -> _Axioms:
    return kb.memo(_Axioms, lambda: _Axioms(kb))


def without_entailed_types(triples: list, kb) -> list:
    """The triples (pyoxigraph, repeated ones once, in their order) without the rdf:type triples
    the knowledge base entails from the others (see the module docstring)."""
    ax = _axioms(kb)
    triples = list(dict.fromkeys(triples))
    types: dict = {}
    given: dict = {}   # node -> classes a domain or range gives it
    for t in triples:
        if t.predicate == _TYPE:
            types.setdefault(t.subject, set()).add(t.object)
        else:
            if t.predicate in ax.domain:
                given.setdefault(t.subject, set()).update(ax.domain[t.predicate])
            if t.predicate in ax.range:
                given.setdefault(t.object, set()).update(ax.range[t.predicate])
    entailed: dict = {}
    for s, cs in types.items():
        out = set(given.get(s, ()))
        for c in cs:
            out |= ax.strict_supers(c)
        out.add(_THING)
        entailed[s] = out
    return [t for t in triples if t.predicate != _TYPE or t.object not in entailed[t.subject]]


def store_form(case_iri: str, whole: list, fired: list, kb) -> list:
    """A classified case's graph as the store keeps it, from its whole graph in the store's
    provenance (provenance_triples(self_contained=False)) and its rule firings: without the types
    the ontology entails, without a dorsum:becauseOf the firing's prov:used input finding already
    says (its dorsum:findingPath is the property's dorsum:jsonPath; a property the case did not give
    keeps its becauseOf), with the summary."""
    said = {(f.conclusion, x.prop) for f in fired for x in f.findings}
    kept = [t for t in whole if t.predicate != _BECAUSE or (t.subject, t.object) not in said]
    return without_entailed_types(kept, kb) + case_types(case_iri, whole, kb) + summary_triples(case_iri, whole, kb)


def case_types(case_iri: str, triples: list, kb) -> list:
    """The case node's own most specific types (dorsum:Case), kept although its properties' domains
    entail them: `?c a dorsum:Case` is where an analyst's query starts (one quad a case)."""
    ax = _axioms(kb)
    case = ox.NamedNode(case_iri)
    mine = {t.object for t in triples if t.subject == case and t.predicate == _TYPE}
    implied = set().union(*(ax.strict_supers(c) for c in mine)) if mine else set()
    return [ox.Triple(case, _TYPE, c) for c in sorted(mine - implied - {_THING}, key=lambda c: c.value)]


def summary_triples(case_iri: str, triples: list, kb) -> list:
    """The case node -> the values its result shows, by the properties the ontology declares
    (dorsum:caseSummary), and -> its age groups (dorsum:hasAgeGroup): from the case's triples
    (input and derived, entailed types included), in a fixed order."""
    ax = _axioms(kb)
    case = ox.NamedNode(case_iri)
    about = {t.subject for t in triples if t.predicate == _ABOUT and t.object == case}
    types: dict = {}
    values: dict = {}
    patients = set()
    for t in triples:
        if t.predicate == _TYPE:
            types.setdefault(t.subject, set()).add(t.object)
        elif t.subject in about:
            values.setdefault((t.subject, t.predicate), []).append(t.object)
        elif t.subject == case and t.predicate == _PATIENT:
            patients.add(t.object)
    out = []
    for cls, value, prop, ranked in ax.summaries:
        found = {v for c in about if cls in types.get(c, ()) for v in values.get((c, value), ())}
        if ranked is not None and found:  # shown as one: the values that rank highest
            top = max(ax.rank.get(v, 0) for v in found)
            found = {v for v in found if ax.rank.get(v, 0) == top}
        out += [ox.Triple(case, prop, v) for v in sorted(found, key=lambda v: v.value)]
    groups = {g for p in patients for g in types.get(p, ()) if g in ax.age_groups}
    out += [ox.Triple(case, _AGE_GROUP, g) for g in sorted(groups, key=lambda v: v.value)]
    return out
