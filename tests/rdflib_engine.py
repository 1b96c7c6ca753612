"""A reference engine on rdflib: the knowledge base, inference steps and rules dorsum runs on
Oxigraph, evaluated by rdflib's SPARQL engine instead, so tests/test_cross_engine.py can check
that no conclusion depends on one engine's quirks.

What it computes is what reasoner/engine/fixpoint.py documents; how is written here independently:

* the knowledge base is closed once under OWL 2 RL with owlrl (dorsum does the same), without
  axiomatic or datatype triples, without owl:sameAs and without owlrl's literal-subject triples;
* an rdflib Dataset holds three named graphs: the knowledge base, the case and what is inferred;
  queries see their union as the default graph, and the inference steps of queries/inference/
  name the graphs they read (GRAPH, VALUES ?g) themselves;
* the inference steps are the defined classes over data ranges (compiled to SPARQL by
  reasoner.engine.owl_compile, the knowledge base's own translation of them) and queries/inference/*.rq;
* stratum 0 runs the inference steps alone; each rule stratum, in order, runs the inference steps
  then the active rules of that stratum (by file name), pass after pass, until a pass adds nothing;
* a constructed triple is new when no graph holds it yet; new triples go into the inferred graph.

rdflib evaluates the same query texts; nothing here rewrites a query. Speed is not the point (about
a second a case); the one shortcut is to skip a query when nothing was added since it last ran,
which cannot change what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import owlrl
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import OWL
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query

from reasoner.namespaces import KB_GRAPH, PREFIXES
from reasoner.engine.owl_compile import compile_defined_classes

# The graph names the inference steps in queries/inference/*.rq are written against.
KB = URIRef(KB_GRAPH)
CASE = URIRef("https://w3id.org/dorsum/graph/case")
INFERRED = URIRef("https://w3id.org/dorsum/graph/inferred")
MAX_PASSES = 50
PROLOGUE = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in sorted(PREFIXES.items()))


@dataclass(frozen=True)
class Step:
    """One CONSTRUCT query: an inference step or a rule."""

    iri: str
    query: Query   # parsed once, run many times
    stratum: int = 0

    @property
    def template_predicates(self) -> set[URIRef]:
        return {p for _s, p, _o in self.query.algebra.template if isinstance(p, URIRef)}


def prepare(iri: str, text: str, stratum: int = 0) -> Step:
    return Step(iri, prepareQuery(PROLOGUE + text), stratum)


def tbox_closure(kb_graph: Graph) -> Graph:
    g = Graph()
    g += kb_graph
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(g)
    g.remove((None, OWL.sameAs, None))
    for t in [t for t in g if isinstance(t[0], Literal)]:  # generalised RDF, not RDF
        g.remove(t)
    return g


class RdflibEngine:
    def __init__(self, kb):
        self.inference = [prepare(f"{cls}#compiled-definition", text) for cls, text in compile_defined_classes(kb.graph)]
        self.inference += [prepare(f.iri, f.text) for f in kb.inference]
        self.rules = [prepare(f.iri, f.text, f.stratum) for f in kb.rules if f.status == "active"]  # sorted by file name
        self.dataset = Dataset(default_union=True)
        self.dataset.graph(KB).__iadd__(tbox_closure(kb.graph))

    def derive(self, case: Graph, without: frozenset[str] = frozenset()) -> Graph:
        """What the inference steps and the active rules (except those named in `without`) add to
        one valid case graph."""
        ds = self.dataset
        for name in (CASE, INFERRED):  # the knowledge base stays; the last case goes
            ds.remove_graph(name)
        ds.graph(CASE).__iadd__(case)
        inferred = ds.graph(INFERRED)
        rules = [r for r in self.rules if r.iri not in without]
        batches = [self.inference] + [self.inference + [r for r in rules if r.stratum == s]
                                      for s in sorted({r.stratum for r in rules})]
        size = 0       # triples inferred so far
        ran_at = {}    # step -> size when it last ran
        for steps in batches:
            for _ in range(MAX_PASSES):
                before = size
                for step in steps:
                    if ran_at.get(step.iri) == size:
                        continue  # nothing new since it last ran: it would return the same triples
                    for t in ds.query(step.query):
                        if t not in ds:  # in no graph yet
                            inferred.add(t)
                            size += 1
                    ran_at[step.iri] = size
                if size == before:
                    break
            else:
                raise RuntimeError(f"no fixpoint after {MAX_PASSES} passes")
        out = Graph()
        out += inferred
        return out

    def template_predicates(self) -> set[URIRef]:
        """The predicates the active rules' CONSTRUCT templates name."""
        return set().union(*(r.template_predicates for r in self.rules))
