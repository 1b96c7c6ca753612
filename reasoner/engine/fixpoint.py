"""The inference engine: OWL RL (as SPARQL) plus the rule files, stratum by stratum, to a fixpoint.

The knowledge base is loaded once into an in-memory Oxigraph store, in its own named graph, after
its TBox has been closed once with owlrl. Each case goes into its own graph; inferred triples go
into another, so inference never mutates the input and validation never sees inferred triples.
Rules run in a fixed order (stratum, then file name); each new triple is recorded with the rule
that produced it, which is the provenance the result graph is built from.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from ..errors import DorsumError
from ..kb.knowledge_base import KnowledgeBase
from ..namespaces import DORSUM, KB_GRAPH, SPARQL_PREFIXES
from .owl_compile import compile_defined_classes
from .query_analysis import ANY_TYPE, query_analysis, triple_key
from ..terms import ox_triples, rdflib_triples, to_ox, to_rdflib

CASE_GRAPH = "https://w3id.org/dorsum/graph/case"
INFERRED_GRAPH = "https://w3id.org/dorsum/graph/inferred"
MAX_ITERATIONS = 50
FRESH_STORE_AFTER = 4000  # quads written and removed again (see _fresh_store_if_due)


class FixpointError(DorsumError):
    """The rules kept producing new triples: a rule mints fresh terms on every pass."""


@dataclass(frozen=True, eq=False)
class Query:
    """A query the engine runs: an inference step or a rule. Compared and hashed by identity (an
    engine makes each once): the fixpoint loop keys several dicts on it, about 900 lookups a single
    case, and hashing the fields each time cost more than the lookups."""

    iri: str
    text: str
    stratum: int
    is_rule: bool


@dataclass
class Derivation:
    """What inference added to one case, and which rule produced each conclusion."""

    ox_triples: list                   # pyoxigraph Triples, in the order they were derived
    generated_by: dict                 # conclusion IRI -> rule IRI
    iterations: int = 0
    seconds: float = 0.0
    per_query: dict = field(default_factory=dict)
    isolated: bool = True              # a batch run: every free pattern matched the knowledge base alone
    _triples: list | None = field(default=None, repr=False)

    @property
    def triples(self) -> list:
        """The derived triples as rdflib triples, in the order they were derived (converted on
        first use: a store takes the pyoxigraph triples as they are)."""
        if self._triples is None:
            self._triples = rdflib_triples(self.ox_triples)
        return self._triples


class Engine:
    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.store = ox.Store()
        self.kb_graph = ox.NamedNode(KB_GRAPH)
        self.case_graph = ox.NamedNode(CASE_GRAPH)
        self.inferred_graph = ox.NamedNode(INFERRED_GRAPH)
        closure = self._tbox_closure()
        self._kb_quads = [ox.Quad(to_ox(s), to_ox(p), to_ox(o), self.kb_graph) for s, p, o in closure
                          if not isinstance(s, Literal)]  # owlrl works in generalised RDF
        self.store.extend(self._kb_quads)
        self._kb_triples = {q.triple for q in self._kb_quads}
        self._kb_subjects = {s for s in closure.subjects() if isinstance(s, URIRef)}
        self._kb_subjects_ox = {ox.NamedNode(str(s)) for s in self._kb_subjects}
        self._churn = 0  # quads written to the stores and removed again since they were new
        self.conclusion_classes = {str(s) for s in closure.transitive_subjects(RDFS.subClassOf, DORSUM.Conclusion)}
        self.queries = self._queries()
        static = frozenset({KB_GRAPH, CASE_GRAPH})  # inference writes only graph/inferred
        analysed = {q: query_analysis(q.text, static, KB_GRAPH) for q in self.queries}
        self.reads = {q: self._resolve_reads(a[0]) for q, a in analysed.items()}
        self.linear = {q for q, a in analysed.items() if a[1]}
        self.required = {q: a[2] for q, a in analysed.items()}
        self._isolation(analysed)
        # key -> the queries that read it, so a derived triple marks its readers changed directly
        # (see _run) instead of every query checking every key it reads in every pass
        readers: dict = {}
        for q in self.queries:
            for k in sorted(self.reads[q] or (), key=str):
                readers.setdefault(k, []).append(q)
        self._readers = {k: tuple(qs) for k, qs in readers.items()}
        self._reads_anything = frozenset(q for q in self.queries if self.reads[q] is None)
        type_iri = str(RDF.type)
        self._kb_keys = frozenset(triple_key(t, type_iri) for t in self._kb_triples)
        self._delta_store = self._kb_store()  # the KB and the triples a linear query has not yet seen
        self.skip_unchanged = True  # False: every query runs in every pass (the reference, for tests)
        # stratum 0 is inference alone (age groups, class hierarchy); rule strata follow, each
        # re-running inference so conclusions get their superclasses too
        self.strata = [0] + sorted({q.stratum for q in self.queries if q.is_rule})

    def _isolation(self, analysed: dict) -> None:
        """Which queries keep a batch's cases apart (batch_isolation): `not_batchable` maps each
        query that does not to why (then every batch runs one case at a time), and `_kb_only`
        holds the patterns that must match no case or inferred triple after a batch run."""
        self.not_batchable: dict = {}
        kb_only: set = set()
        for q, a in analysed.items():
            iso = a[3]
            if not iso.batchable:
                self.not_batchable[q.iri] = iso.reason
                continue
            for p, o in iso.guards:  # only case nodes may carry a guard, and the KB is not a case
                if any(True for _ in self.store.quads_for_pattern(None, to_ox(p), None if o is None else to_ox(o), self.kb_graph)):
                    self.not_batchable[q.iri] = (f"the knowledge base itself states {p.n3()} {'' if o is None else o.n3()} "
                                                 "about a term, so ?case may be a knowledge-base term")
                    break
            else:
                kb_only.update(iso.kb_only)
        self._kb_only = [tuple(None if x is None else to_ox(x) for x in t) for t in sorted(kb_only, key=repr)]

    def _batch_isolated(self) -> bool:
        """After a batch run, before the case and inferred graphs are cleared: whether every free
        pattern of the queries matched knowledge-base triples alone."""
        for s, p, o in self._kb_only:
            for g in (self.case_graph, self.inferred_graph):
                if any(True for _ in self.store.quads_for_pattern(s, p, o, g)):
                    return False
        return True

    def _resolve_reads(self, reads: frozenset | None) -> frozenset | None:
        """A query's read keys with each ("kb", kind, patterns) key (see store_reads) replaced by
        the keys of the values the knowledge base gives its variable: the predicates it can be
        (rdf:type as ANY_TYPE), or (rdf:type, class) for each class."""
        if reads is None:
            return None
        type_iri = str(RDF.type)
        out: set = set()
        for k in reads:
            if not (isinstance(k, tuple) and k[0] == "kb"):
                out.add(k)
                continue
            _kb, kind, patterns = k
            values: set | None = None
            for role, predicate, other in patterns:
                found = set()
                for t in self._kb_triples:
                    if t.predicate.value != predicate:
                        continue
                    var, fixed = (t.subject, t.object) if role == "s" else (t.object, t.subject)
                    if isinstance(var, ox.NamedNode) and (other is None or (isinstance(fixed, ox.NamedNode) and fixed.value == other)):
                        found.add(var.value)
                values = found if values is None else values & found
            for v in sorted(values or ()):
                if kind == "class":
                    out.add((type_iri, v))
                else:
                    out.add(ANY_TYPE if v == type_iri else v)
        return frozenset(out)

    def _tbox_closure(self) -> Graph:
        """The knowledge base closed once under OWL 2 RL (owlrl), not per case; cached on disk
        (see tbox_cache) because owlrl takes about 10 s and every command needs it."""
        from ..runtime.cache import cached_closure

        return cached_closure(self.kb, self._owlrl_closure)

    def _owlrl_closure(self) -> Graph:
        import owlrl

        g = Graph()
        g += self.kb.graph
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(g)
        # owlrl's reflexive owl:sameAs and typing of literals add nothing a rule uses
        g.remove((None, URIRef("http://www.w3.org/2002/07/owl#sameAs"), None))
        return g

    def _queries(self) -> list[Query]:
        out = []
        for cls, text in compile_defined_classes(self.kb.graph):
            out.append(Query(f"{cls}#compiled-definition", text, 0, False))
        for f in self.kb.inference:
            out.append(Query(f.iri, SPARQL_PREFIXES + f.text, 0, False))
        for f in self.kb.rules:
            if f.status == "active":
                out.append(Query(f.iri, SPARQL_PREFIXES + f.text, f.stratum, True))
        return out

    def derive(self, case: Graph, profile: bool = False) -> Derivation:
        """Run inference and rules over one (valid) case graph."""
        return self._run([case], profile)

    def derive_batch(self, cases: list[tuple[str, Graph]], profile: bool = False,
                     converted: list[list] | None = None) -> dict[str, Derivation]:
        """Run inference and rules over many valid cases at once, then give each case its own
        share of what was derived. Cases never meet: a knowledge base with a query that could join
        two cases' data (batch_isolation) runs one case at a time, and a batch whose free patterns
        matched a case's triple is run again one case at a time. A derived triple belongs to the
        case whose node is its subject (input nodes, including IRIs a case
        names without describing them, and conclusions through dorsum:aboutCase). The result for
        each case equals `derive` on that case alone (tested). `converted`, when given, holds each
        case's triples already as pyoxigraph Triples (cases[i][1] then needs no conversion)."""
        if not cases:
            return {}
        if converted is None:
            converted = [ox_triples(g) for _, g in cases]
        if len(cases) > 1 and self.not_batchable:  # a query could join two cases' data (batch_isolation)
            return self._one_at_a_time(cases, profile, converted)
        whole = self._run([], profile, converted, check_isolation=len(cases) > 1)
        if not whole.isolated:  # a free pattern matched a case's triple: this batch again, one case at a time
            return self._one_at_a_time(cases, profile, converted)
        owner: dict = {}
        kb_subjects = self._kb_subjects_ox
        for (iri, _g), triples in zip(cases, converted):  # a case's nodes: its subjects, and IRIs it names that the KB does not
            for t in triples:
                owner.setdefault(t.subject, iri)
                o = t.object
                if isinstance(o, ox.NamedNode) and o not in kb_subjects:
                    owner.setdefault(o, iri)
        about = ox.NamedNode(str(DORSUM) + "aboutCase")
        for t in whole.ox_triples:
            if t.predicate == about:
                owner.setdefault(t.subject, t.object.value)
        out = {iri: Derivation([], {}, whole.iterations, 0.0) for iri, _ in cases}
        for t in whole.ox_triples:
            case_iri = owner.get(t.subject)
            if case_iri is None:
                raise DorsumError(f"derived triple about a node of no case: {to_rdflib(t.subject)} (a rule must anchor on ?case)")
            out[case_iri].ox_triples.append(t)
        for c, rule in whole.generated_by.items():
            out[owner[ox.NamedNode(c)]].generated_by[c] = rule
        share = whole.seconds / len(cases)
        for d in out.values():
            d.seconds = share
        return out

    def _one_at_a_time(self, cases: list, profile: bool, converted: list) -> dict[str, Derivation]:
        out: dict = {}
        for case, triples in zip(cases, converted):
            out.update(self.derive_batch([case], profile, [triples]))
        return out

    def _fresh_store_if_due(self) -> None:
        """An in-memory Oxigraph store keeps what was removed from it (and never forgets a string
        it has seen), so memory would grow with every case classified and queries slow down: per-case
        inference time grew by 80% over ten chunks of 200, and a single case's by 70% over 200
        cases one at a time. New stores (the KB reloaded, ~5k quads, ~7 ms) once FRESH_STORE_AFTER
        quads have been written to them and removed again -- every chunk of a load, every 20 or so
        single cases -- keep memory flat and every run as fast as the first."""
        if self._churn >= FRESH_STORE_AFTER:
            self.store = self._kb_store()
            self._delta_store = self._kb_store()
            self._churn = 0

    def _kb_store(self) -> ox.Store:
        store = ox.Store()
        store.extend(self._kb_quads)
        return store

    def _delta(self, derived: list, since: int, floor: int, state: list) -> ox.Store:
        """The delta store for a linear query last run when `since` triples had been derived: the
        KB and derived[start:] (in graph/inferred, as in the main store) for some start <= since.
        The linear queries of a run share it: state = [start, end] of what it holds; it is topped
        up with what was derived since, and restarted from `floor` (the earliest point a linear
        query due to re-run still needs) only when its start is before that floor, so a derived triple
        is copied about once instead of once per linear query."""
        delta = self._delta_store
        start, end = state
        if start < 0 or start > since or start < floor:
            if delta.contains_named_graph(self.inferred_graph):
                delta.remove_graph(self.inferred_graph)
                self._churn += max(end - start, 0)
            start = end = floor
        if end < len(derived):
            delta.extend(ox.Quad(t.subject, t.predicate, t.object, self.inferred_graph) for t in derived[end:])
        state[:] = [start, len(derived)]
        return delta

    def _changed_for(self, q: Query, last: int, n_derived: int, changed_at: dict) -> bool:
        """Whether a triple q can read (store_reads) was derived since q last ran, when `last`
        triples had been derived. changed_at[q]: the derived count after the last triple q can read."""
        if last == n_derived:
            return False
        return q in self._reads_anything or changed_at.get(q, 0) > last

    def _run(self, cases: list[Graph], profile: bool = False, converted: list[list] | None = None,
             check_isolation: bool = False) -> Derivation:
        """Queries run in a fixed order; a stratum is done when a full pass adds nothing new. The
        first rule to conclude a conclusion is the one that generated it. The cases come as rdflib
        graphs, or (converted) as lists of pyoxigraph Triples."""
        start = time.perf_counter()
        self._fresh_store_if_due()
        store = self.store
        self._clear()
        case_quads = [ox.Quad(to_ox(s), to_ox(p), to_ox(o), self.case_graph) for case in cases for s, p, o in case]
        case_quads += [ox.Quad(t.subject, t.predicate, t.object, self.case_graph) for triples in converted or () for t in triples]
        store.extend(case_quads)
        known = {q.triple for q in case_quads}
        present = set(self._kb_keys)  # the keys of the KB's and the cases' triples (see required_keys)
        present.update(triple_key(q, str(RDF.type)) for q in case_quads)
        derived: list = []
        generated_by: dict = {}
        per_query: dict = {}
        iterations = 0
        inference = [q for q in self.queries if not q.is_rule]
        rdf_type = ox.NamedNode(str(RDF.type))
        last_run: dict = {}  # query -> how many triples had been derived when it last ran
        delta_state = [-1, -1]  # the derived triples the delta store holds (see _delta)
        seen: set = set()    # what the derived triples can be read as (see store_reads)
        changed_at: dict = {}  # query -> derived count after the last derived triple it can read
        satisfiable: set = set()  # queries one of whose required alternatives is all present (see required_keys)
        unsatisfiable: dict = {}  # query -> len(seen) when none was: rechecked only once seen has grown
        type_iri = str(RDF.type)
        for stratum in self.strata:
            batch = inference + [q for q in self.queries if q.is_rule and q.stratum == stratum and stratum > 0]
            for _ in range(MAX_ITERATIONS):
                iterations += 1
                added = 0
                # what the linear queries due to re-run have not all seen yet starts here (see _delta)
                floor = min((last_run[q] for q in self.linear
                             if q in last_run and self._changed_for(q, last_run[q], len(derived), changed_at)), default=0)
                for q in batch:
                    # nothing it can read derived since this query last ran: it would find only
                    # known triples (a query reads the store and nothing else), so it is not re-run
                    last = last_run.get(q)
                    if last is not None and self.skip_unchanged and not self._changed_for(q, last, len(derived), changed_at):
                        continue
                    if self.skip_unchanged and q not in satisfiable:
                        if unsatisfiable.get(q) == len(seen):
                            continue  # nothing new to read as since the last check
                        if not any(all(k in present or k in seen for k in alt) for alt in self.required[q]):
                            unsatisfiable[q] = len(seen)
                            continue  # each way to match lacks a triple that is nowhere in the store: no solution yet
                        satisfiable.add(q)
                    last_run[q] = len(derived)
                    t0 = time.perf_counter() if profile else 0.0
                    # a linear query re-run sees only what was derived since its last run (is_linear)
                    target = store
                    if last is not None and self.skip_unchanged and q in self.linear:
                        target = self._delta(derived, last, floor, delta_state)
                    try:
                        result = target.query(q.text, use_default_graph_as_union=True)
                    except SyntaxError as exc:
                        raise DorsumError(f"{q.iri}: SPARQL syntax error: {exc}") from exc
                    fresh = []
                    for t in result:
                        if t in known:
                            continue
                        known.add(t)
                        if t in self._kb_triples:  # already in the knowledge base (its closure)
                            continue
                        fresh.append(t)
                        if q.is_rule and t.predicate == rdf_type and t.object.value in self.conclusion_classes:
                            generated_by.setdefault(t.subject.value, q.iri)
                    if fresh:
                        store.extend(ox.Quad(t.subject, t.predicate, t.object, self.inferred_graph) for t in fresh)
                        derived.extend(fresh)
                        keys = set()
                        for t in fresh:
                            p = t.predicate.value
                            keys.add(p)
                            if p == type_iri:
                                keys.add((p, t.object.value))
                                keys.add(ANY_TYPE)
                        seen.update(keys)
                        for k in keys:
                            for reader in self._readers.get(k, ()):
                                changed_at[reader] = len(derived)
                        added += len(fresh)
                    if profile:
                        per_query[q.iri] = per_query.get(q.iri, 0.0) + time.perf_counter() - t0
                if not added:
                    break
            else:
                raise FixpointError(f"rules of stratum {stratum} did not reach a fixpoint in {MAX_ITERATIONS} passes")
        isolated = self._batch_isolated() if check_isolation else True
        self._clear()
        self._churn += len(case_quads) + len(derived)
        return Derivation(derived, generated_by, iterations, time.perf_counter() - start, per_query, isolated=isolated)

    def _clear(self) -> None:
        for g in (self.case_graph, self.inferred_graph):
            if self.store.contains_named_graph(g):
                self.store.remove_graph(g)
