"""The fixpoint loop: one run of the engine's queries over one chunk of cases, stratum by stratum.

A run is an object that owns its state: what has been derived (and which rule generated each
conclusion), when each query last ran, what the delta store holds, and which queries can match at
all. Two strategies share the loop: SkipUnchanged (the engine's) runs a query only when it can find
something new; EveryQuery, the reference the tests compare it with, runs every query in every pass
over the whole store.
"""

from __future__ import annotations

import time

import pyoxigraph as ox
from rdflib.namespace import RDF

from ..errors import DorsumError
from .query_analysis import ANY_TYPE, triple_key

MAX_ITERATIONS = 50
TYPE_IRI = str(RDF.type)
RDF_TYPE = ox.NamedNode(TYPE_IRI)


class FixpointError(DorsumError):
    """The rules kept producing new triples: a rule mints fresh terms on every pass."""


class SkipUnchanged:
    """Runs the engine's queries in a fixed order; a stratum is done when a full pass adds nothing
    new. A query is skipped while nothing it can read was derived since it last ran (it would find
    only known triples) and while some triple it needs is nowhere in the store; a linear query is
    re-run over the triples derived since its last run alone (semi-naive evaluation)."""

    def __init__(self, engine, case_quads: list):
        self.engine = engine
        self.observer = engine.runtime.observer
        self.known = {q.triple for q in case_quads}
        self.present = set(engine.kb_keys)  # the keys of the KB's and the cases' triples (see required_keys)
        self.present.update(triple_key(q, TYPE_IRI) for q in case_quads)
        self.derived: list = []
        self.generated_by: dict = {}   # conclusion IRI -> the first rule that concluded it
        self.iterations = 0
        self.last_run: dict = {}       # query -> how many triples had been derived when it last ran
        self.delta_held = (-1, -1)     # the slice of `derived` the delta store holds (see delta)
        self.seen: set = set()         # what the derived triples can be read as (see store_reads)
        self.changed_at: dict = {}     # query -> derived count after the last derived triple it can read
        self.satisfiable: set = set()  # queries one of whose required alternatives is all present
        self.unsatisfiable: dict = {}  # query -> len(seen) when none was: rechecked once seen has grown

    def run(self) -> None:
        for stratum in self.engine.strata:
            self.stratum(stratum)

    def stratum(self, stratum: int) -> None:
        """Stratum 0 is inference alone; each rule stratum re-runs inference so that conclusions
        get their superclasses too."""
        queries = self.engine.queries
        batch = [q for q in queries if not q.is_rule] + [q for q in queries if q.is_rule and q.stratum == stratum > 0]
        for _ in range(MAX_ITERATIONS):
            self.iterations += 1
            if not self.one_pass(batch):
                return
        raise FixpointError(f"rules of stratum {stratum} did not reach a fixpoint in {MAX_ITERATIONS} passes")

    def one_pass(self, batch: list) -> int:
        """Run each due query once; how many new triples they derived."""
        floor = self.floor()
        added = 0
        for q in batch:
            last = self.last_run.get(q)
            if not self.due(q, last):
                continue
            self.last_run[q] = len(self.derived)
            added += self.run_query(q, self.target(q, last, floor))
        return added

    def changed_for(self, q, last: int) -> bool:
        """Whether a triple q can read (store_reads) was derived since q last ran, when `last`
        triples had been derived."""
        if last == len(self.derived):
            return False
        return q in self.engine.reads_anything or self.changed_at.get(q, 0) > last

    def floor(self) -> int:
        """Where what the linear queries due to re-run have not all seen starts (see delta)."""
        last_run = self.last_run
        return min((last_run[q] for q in self.engine.linear
                    if q in last_run and self.changed_for(q, last_run[q])), default=0)

    def due(self, q, last: int | None) -> bool:
        if last is not None and not self.changed_for(q, last):
            return False
        if q in self.satisfiable:
            return True
        if self.unsatisfiable.get(q) == len(self.seen):
            return False  # nothing new to read as since the last check
        present, seen = self.present, self.seen
        if not any(all(k in present or k in seen for k in alt) for alt in self.engine.required[q]):
            self.unsatisfiable[q] = len(seen)
            return False  # each way to match lacks a triple that is nowhere in the store: no solution yet
        self.satisfiable.add(q)
        return True

    def target(self, q, last: int | None, floor: int) -> ox.Store:
        """The store q runs over: a linear query re-run sees only what was derived since (is_linear)."""
        if last is not None and q in self.engine.linear:
            return self.delta(last, floor)
        return self.engine.store

    def delta(self, since: int, floor: int) -> ox.Store:
        """The delta store for a linear query last run when `since` triples had been derived: the
        KB and derived[start:] (in graph/inferred, as in the main store) for some start <= since.
        The linear queries of a run share it: it is topped up with what was derived since, and
        restarted from `floor` only when it starts before that floor, so a derived triple is copied
        about once instead of once per linear query."""
        engine = self.engine
        delta = engine.delta_store
        start, end = self.delta_held
        if start < 0 or start > since or start < floor:
            if delta.contains_named_graph(engine.inferred_graph):
                delta.remove_graph(engine.inferred_graph)
                engine.churn += max(end - start, 0)
            start = end = floor
        if end < len(self.derived):
            delta.extend(ox.Quad(t.subject, t.predicate, t.object, engine.inferred_graph) for t in self.derived[end:])
        self.delta_held = (start, len(self.derived))
        return delta

    def run_query(self, q, target: ox.Store) -> int:
        """Run q over target and record what it found that is new; how many triples that was."""
        t0 = time.perf_counter()
        try:
            result = target.query(q.text, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise DorsumError(f"{q.iri}: SPARQL syntax error: {exc}") from exc
        fresh = self.fresh(q, result)
        if fresh:
            self.record(fresh)
        if self.observer is not None:
            self.observer.query_ran(q.iri, time.perf_counter() - t0)
        return len(fresh)

    def fresh(self, q, result) -> list:
        """The triples of a query's result that are new; the first rule to conclude a conclusion is
        the one that generated it."""
        engine, known, out = self.engine, self.known, []
        for t in result:
            if t in known:
                continue
            known.add(t)
            if t in engine.kb_triples:  # already in the knowledge base (its closure)
                continue
            out.append(t)
            if q.is_rule and t.predicate == RDF_TYPE and t.object.value in engine.conclusion_classes:
                self.generated_by.setdefault(t.subject.value, q.iri)
        return out

    def record(self, fresh: list) -> None:
        """Add derived triples to the store, and mark the queries that can read them changed."""
        engine = self.engine
        engine.store.extend(ox.Quad(t.subject, t.predicate, t.object, engine.inferred_graph) for t in fresh)
        self.derived.extend(fresh)
        keys = set()
        for t in fresh:
            p = t.predicate.value
            keys.add(p)
            if p == TYPE_IRI:
                keys.add((p, t.object.value))
                keys.add(ANY_TYPE)
        self.seen.update(keys)
        n = len(self.derived)
        for k in keys:
            for reader in engine.readers.get(k, ()):
                self.changed_at[reader] = n


class EveryQuery(SkipUnchanged):
    """The reference strategy: every query in every pass, over the whole store."""

    def floor(self) -> int:
        return 0

    def due(self, q, last: int | None) -> bool:
        return True

    def target(self, q, last: int | None, floor: int) -> ox.Store:
        return self.engine.store
