"""The inference engine: OWL RL (as SPARQL) plus the rule files, stratum by stratum, to a fixpoint.

The knowledge base is loaded once into an in-memory Oxigraph store, in its own named graph, after
its TBox has been closed once with owlrl. Each case goes into its own graph; inferred triples go
into another, so inference never mutates the input and validation never sees inferred triples.
Rules run in a fixed order (stratum, then file name); each new triple is recorded with the rule
that produced it, which is the provenance the result graph is built from.
The loop itself is a scheduler (engine/scheduler.py); what the engine knows of each query before
running it comes from its static analysis (engine/query_analysis.py).
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
from ..runtime.cache import ENVIRONMENT
from ..runtime.runtime import Runtime
from ..terms import Terms, ox_triples, rdflib_triples, to_ox, to_rdflib
from .owl_compile import compile_defined_classes
from .batch_isolation import verdicts
from .query_analysis import ANY_TYPE, query_analysis, triple_key
from .scheduler import SkipUnchanged

CASE_GRAPH = "https://w3id.org/dorsum/graph/case"
INFERRED_GRAPH = "https://w3id.org/dorsum/graph/inferred"
FRESH_STORE_AFTER = 4000  # quads written and removed again (see _fresh_store_if_due)


@dataclass(frozen=True, eq=False)
class Query:
    """A query the engine runs: an inference step or a rule. Compared and hashed by identity (an
    engine makes each once): the fixpoint loop keys several dicts on it, many times a case, and
    hashing the fields on each lookup would cost more than the lookups."""

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
    isolated: bool = True              # a batch run: every free pattern matched the knowledge base alone
    terms: Terms | None = field(default=None, repr=False, compare=False)  # the runtime's cached converter
    _triples: list | None = field(default=None, repr=False)

    @property
    def triples(self) -> list:
        """The derived triples as rdflib triples, in the order they were derived (converted on
        first use: a store takes the pyoxigraph triples as they are)."""
        if self._triples is None:
            self._triples = (self.terms.rdflib_triples if self.terms is not None else rdflib_triples)(self.ox_triples)
        return self._triples


STATIC_GRAPHS = frozenset({KB_GRAPH, CASE_GRAPH})  # inference writes only graph/inferred


def engine_queries(kb: KnowledgeBase) -> list[Query]:
    """What the engine runs, in order: the compiled OWL definitions and inference steps (stratum
    0), then the active rules."""
    out = []
    for cls, text in compile_defined_classes(kb.graph):
        out.append(Query(f"{cls}#compiled-definition", text, 0, False))
    for f in kb.inference:
        out.append(Query(f.iri, SPARQL_PREFIXES + f.text, 0, False))
    for f in kb.rules:
        if f.status == "active":
            out.append(Query(f.iri, SPARQL_PREFIXES + f.text, f.stratum, True))
    return out


def analyse(q: Query, cache_dir=ENVIRONMENT) -> tuple:
    """query_analysis of one engine query, as the engine reads it (cached on disk: in the directory
    the environment names unless `cache_dir` says another, None for no cache)."""
    return query_analysis(q.text, STATIC_GRAPHS, KB_GRAPH, cache_dir)


class Engine:
    """The knowledge base in its store and the queries to run, analysed once; each run of them over
    a chunk of cases is a `scheduler` (SkipUnchanged, or EveryQuery for the reference)."""

    def __init__(self, kb: KnowledgeBase, runtime: Runtime | None = None, scheduler: type = SkipUnchanged):
        self.kb = kb
        self.runtime = runtime if runtime is not None else Runtime()
        self.scheduler = scheduler
        self.store = ox.Store()
        self.kb_graph = ox.NamedNode(KB_GRAPH)
        self.case_graph = ox.NamedNode(CASE_GRAPH)
        self.inferred_graph = ox.NamedNode(INFERRED_GRAPH)
        closure = self._tbox_closure()
        self._kb_quads = [ox.Quad(to_ox(s), to_ox(p), to_ox(o), self.kb_graph) for s, p, o in closure
                          if not isinstance(s, Literal)]  # owlrl works in generalised RDF
        self.store.extend(self._kb_quads)
        self.kb_triples = {q.triple for q in self._kb_quads}
        self._kb_subjects = {s for s in closure.subjects() if isinstance(s, URIRef)}
        self._kb_subjects_ox = {ox.NamedNode(str(s)) for s in self._kb_subjects}
        self.churn = 0  # quads written to the stores and removed again since they were new
        self.conclusion_classes = {str(s) for s in closure.transitive_subjects(RDFS.subClassOf, DORSUM.Conclusion)}
        self.queries = self._queries()
        analysed = {q: analyse(q, self.runtime.cache_dir) for q in self.queries}
        self.reads = {q: self._resolve_reads(a[0]) for q, a in analysed.items()}
        self.linear = {q for q, a in analysed.items() if a[1]}
        self.required = {q: a[2] for q, a in analysed.items()}
        self._isolation(analysed)
        # key -> the queries that read it, so a derived triple marks its readers changed directly
        # (see SkipUnchanged.record) instead of every query checking every key it reads in every pass
        readers: dict = {}
        for q in self.queries:
            for k in sorted(self.reads[q] or (), key=str):
                readers.setdefault(k, []).append(q)
        self.readers = {k: tuple(qs) for k, qs in readers.items()}
        self.reads_anything = frozenset(q for q in self.queries if self.reads[q] is None)
        type_iri = str(RDF.type)
        self.kb_keys = frozenset(triple_key(t, type_iri) for t in self.kb_triples)
        self.delta_store = self._kb_store()  # the KB and the triples a linear query has not yet seen
        # stratum 0 is inference alone (age groups, class hierarchy); rule strata follow, each
        # re-running inference so conclusions get their superclasses too
        self.strata = [0] + sorted({q.stratum for q in self.queries if q.is_rule})

    def _isolation(self, analysed: dict) -> None:
        """Which queries keep a batch's cases apart (batch_isolation.verdicts): `not_batchable`
        maps each query that does not to why (then every batch runs one case at a time), and
        `_kb_only` holds the patterns that must match no case or inferred triple after a batch run."""
        def kb_states(p, o) -> bool:
            return any(True for _ in self.store.quads_for_pattern(None, to_ox(p), None if o is None else to_ox(o), self.kb_graph))

        self.not_batchable, kb_only = verdicts({q.iri: a[3] for q, a in analysed.items()}, kb_states)
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
                for t in self.kb_triples:
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
        (see runtime.cache) because owlrl is slow and every command needs it."""
        from ..runtime.cache import cached_closure

        return cached_closure(self.kb, self._owlrl_closure, self.runtime.cache_dir)

    def _owlrl_closure(self) -> Graph:
        import owlrl

        g = Graph()
        g += self.kb.graph
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(g)
        # owlrl's reflexive owl:sameAs and typing of literals add nothing a rule uses
        g.remove((None, URIRef("http://www.w3.org/2002/07/owl#sameAs"), None))
        return g

    def _queries(self) -> list[Query]:
        return engine_queries(self.kb)

    def derive(self, case: Graph) -> Derivation:
        """Run inference and rules over one (valid) case graph."""
        return self._run([case])

    def derive_batch(self, cases: list[tuple[str, Graph]], converted: list[list] | None = None) -> dict[str, Derivation]:
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
            return self._one_at_a_time(cases, converted)
        whole = self._run([], converted, check_isolation=len(cases) > 1)
        if not whole.isolated:  # a free pattern matched a case's triple: this batch again, one case at a time
            return self._one_at_a_time(cases, converted)
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
        out = {iri: Derivation([], {}, whole.iterations, 0.0, terms=self.runtime.terms) for iri, _ in cases}
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

    def _one_at_a_time(self, cases: list, converted: list) -> dict[str, Derivation]:
        out: dict = {}
        for case, triples in zip(cases, converted):
            out.update(self.derive_batch([case], [triples]))
        return out

    def _fresh_store_if_due(self) -> None:
        """An in-memory Oxigraph store keeps what was removed from it (and never forgets a string
        it has seen), so memory would grow with every case classified and queries slow down. New
        stores (the KB reloaded, which is cheap) once FRESH_STORE_AFTER quads have been written to
        them and removed again -- every chunk of a load, every 20 or so single cases -- keep memory
        flat and every run as fast as the first."""
        if self.churn >= FRESH_STORE_AFTER:
            self.store = self._kb_store()
            self.delta_store = self._kb_store()
            self.churn = 0

    def _kb_store(self) -> ox.Store:
        store = ox.Store()
        store.extend(self._kb_quads)
        return store

    def _run(self, cases: list[Graph], converted: list[list] | None = None,
             check_isolation: bool = False) -> Derivation:
        """One run of the scheduler over the cases, given as rdflib graphs or (converted) as lists
        of pyoxigraph Triples, in the case graph of a store holding the knowledge base."""
        start = time.perf_counter()
        self._fresh_store_if_due()
        self._clear()
        case_quads = [ox.Quad(to_ox(s), to_ox(p), to_ox(o), self.case_graph) for case in cases for s, p, o in case]
        case_quads += [ox.Quad(t.subject, t.predicate, t.object, self.case_graph) for triples in converted or () for t in triples]
        self.store.extend(case_quads)
        run = self.scheduler(self, case_quads)
        run.run()
        isolated = self._batch_isolated() if check_isolation else True
        self._clear()
        self.churn += len(case_quads) + len(run.derived)
        return Derivation(run.derived, run.generated_by, run.iterations, time.perf_counter() - start,
                          isolated=isolated, terms=self.runtime.terms)

    def _clear(self) -> None:
        for g in (self.case_graph, self.inferred_graph):
            if self.store.contains_named_graph(g):
                self.store.remove_graph(g)
