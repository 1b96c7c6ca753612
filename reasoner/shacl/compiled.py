"""The compiled form of a shapes graph (one SPARQL query a shape) and its run: the data graphs in
one Oxigraph store, each in its own named graph, the queries run once, and each row mapped back to
a validation result with focus node and value as the data graph holds them.

Literals are RDF terms here, as in SHACL, whatever Oxigraph does with them:
- Oxigraph stores a well-typed literal of a datatype it knows in canonical form, in the data and in
  a query's constants alike ("1.00"^^xsd:decimal is "1", "030"^^xsd:byte is "30"^^xsd:integer), and
  keeps an ill-typed one as written ("abc"^^xsd:integer); it has no option not to (oxigraph/oxigraph
  issue 526: '"+1"^^xsd:int will be normalized as "1"^^xsd:integer'). Where it rewrote a data literal, the
  lexical form and datatype as written go into a side graph (LEX_GRAPH), tied to the data graph,
  subject and predicate of the triple; sh:in, sh:hasValue (term equality: "1.00"^^xsd:decimal is
  not in ("1.0"^^xsd:decimal)), sh:minLength, sh:maxLength, sh:pattern and sh:datatype read the
  literal as written, and every focus node and value is mapped back to the term the data graph
  holds. Comparisons (sh:minInclusive...) compare values, as SHACL says.
- whether a literal is well-formed for its datatype (sh:datatype) is rdflib's verdict: an
  ill-typed literal is stored with the datatype <urn:x-dorsum-shacl:ill-typed:DATATYPE>
  (data_term), a term of its own. rdflib rewrites some ill-typed literals ("yes"^^xsd:boolean
  becomes a "false" that == and hashes like a valid false), so nothing here is keyed on rdflib
  Literal equality: a literal is keyed on its pyoxigraph term, one case's literal never stands for
  another's, and results do not depend on the batch, its order or the hash seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count
from time import perf_counter
from typing import Iterable, Sequence

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from ..terms import ox_triples, to_rdflib
from .sparql_terms import (DATA_GRAPH, GRAPH_BASE, GRAPHS_GRAPH, LEX_D, LEX_E, LEX_G, LEX_GRAPH, LEX_L, LEX_P,
                           LEX_S, LEX_V, LIT, data_term, from_data_term, ill_typed)


@dataclass(frozen=True)
class ResultSpec:
    """What one branch of a compiled query reports."""

    source_shape: object            # the shape (shapes-graph node) the result comes from
    component: URIRef               # sh:...ConstraintComponent
    messages: tuple[str, ...]       # the shape's sh:message values, sorted
    severity: URIRef
    result_path: object             # the shape's sh:path (shapes-graph node), None for a node shape
    path_head: object               # the path IRI, or the first step of a sequence path, else None
    has_value: bool                 # the result names a value node (else sh:value is absent)
    witness_predicate: URIRef | None  # the value is an object of (?ws, this predicate) in the data
    focus_predicates: frozenset | None = None  # a literal focus node is an object of one of these (sh:targetObjectsOf)


@dataclass(frozen=True)
class CompiledQuery:
    shape: object
    text: str
    specs: tuple[ResultSpec, ...]   # ?k indexes this


def query_name(q: CompiledQuery) -> str:
    """A compiled shape query's name for an observer: the shape it checks (its IRI's last part)."""
    return "shape " + str(q.shape).rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


@dataclass
class Result:
    """A validation result, with focus node and value as the data graph holds them."""

    focus: object
    result_path: object
    path_head: object
    value: object
    messages: tuple[str, ...]
    severity: URIRef
    source_shape: object
    component: URIRef

    @property
    def message(self) -> str | None:
        return self.messages[0] if self.messages else None


def _run_all(store: ox.Store, queries: list[CompiledQuery], threads: int, runtime) -> list[list]:
    """Run read-only queries over one store, each one's rows in order. They are independent and
    Oxigraph parses, plans and evaluates without holding the GIL for most of a query, so two threads
    share a large chunk's work; results come back in the queries' order, so the
    outcome is the same as one after the other. threads=1 when the caller already keeps the other
    core busy (a single case's inference runs meanwhile), where a third thread on two cores would
    slow it down. With the runtime's observer attached they run one after the other, each timed
    alone; without a runtime, one after the other."""
    observer = runtime.observer if runtime is not None else None
    if runtime is not None and observer is None and threads >= 2 and len(queries) >= 2:
        return list(runtime.executor("shapes", 2).map(lambda q: list(store.query(q.text)), queries))
    out = []
    for q in queries:
        start = perf_counter()
        out.append(list(store.query(q.text)))
        if observer is not None:
            observer.shape_query_ran(query_name(q), perf_counter() - start)
    return out


@dataclass
class CompiledShapes:
    queries: list[CompiledQuery]
    shapes_graph: Graph
    runtime: object = None          # a Runtime: its threads and observer (see _run_all)
    _canon: dict = field(default_factory=dict)

    def validate(self, graphs: Sequence[Iterable], extra: Sequence[Iterable] | None = None,
                 converted: Sequence[Sequence] | None = None, threads: int = 2) -> list[list[Result]]:
        """Validate each data graph and return its results: one store, one run of each query.

        graphs[i] holds the triples of data graph i (an rdflib Graph or a list of rdflib triples);
        extra[i], pyoxigraph Triples that also belong to it; converted[i], when given, the same
        triples as graphs[i] already converted to pyoxigraph Triples (ox_triples). threads: see
        _run_all.

        No set or dict here is keyed on rdflib Literal equality: rdflib turns an ill-typed
        "yes"^^xsd:boolean into a Literal equal to (and hashing like) a well-typed "false", so such a
        key would merge two cases' literals. Literals are keyed on their pyoxigraph terms (exact
        term equality), an ill-typed one made distinct by data_term."""
        graphs = [g if isinstance(g, list) else list(g) for g in graphs]
        store = ox.Store()
        quads: list = []
        graph_nodes = []
        lits: list[list] = []   # per data graph: (subject, predicate, rdflib literal, its pyoxigraph term, ox subject)
        is_a, data_graph, graphs_graph = ox.NamedNode(str(RDF.type)), ox.NamedNode(DATA_GRAPH), ox.NamedNode(GRAPHS_GRAPH)
        for i, g in enumerate(graphs):
            gn = ox.NamedNode(f"{GRAPH_BASE}{i}")
            graph_nodes.append(gn)
            quads.append(ox.Quad(gn, is_a, data_graph, graphs_graph))
            conv = converted[i] if converted is not None else None
            if conv is None or len(conv) != len(g):
                conv = ox_triples(g)
            mine = []
            for t, c in zip(g, conv):
                o = t[2]
                obj = c.object
                if isinstance(o, Literal):
                    if ill_typed(o):
                        obj = data_term(o)
                    mine.append((t[0], t[1], o, obj, c.subject, c.predicate))
                quads.append(ox.Quad(c.subject, c.predicate, obj, gn))
            lits.append(mine)
            if extra is not None:
                quads.extend(ox.Quad(t.subject, t.predicate, t.object, gn) for t in extra[i])
        self._stored_forms({m[3] for mine in lits for m in mine})
        # per data graph: stored term -> [(subject, predicate, rdflib literal, lexical form, ox subject,
        # ox predicate, datatype IRI as written)]
        index = []
        lex = ox.NamedNode(LEX_GRAPH)
        lg, lv, ll, ls, lp, ld = (ox.NamedNode(x) for x in (LEX_G, LEX_V, LEX_L, LEX_S, LEX_P, LEX_D))
        entry = count()
        for gn, mine in zip(graph_nodes, lits):
            by_stored: dict = {}
            for s_, p_, o, obj, os_, op_ in mine:
                by_stored.setdefault(self._canon[obj], []).append((s_, p_, o, obj.value, os_, op_, obj.datatype))
            index.append(by_stored)
            for stored, entries in by_stored.items():
                if any(e[3] != stored.value or e[6] != stored.datatype for e in entries):
                    # Oxigraph rewrote a lexical form or datatype ("030"^^xsd:byte is "30"^^xsd:integer
                    # there): record each triple's, as written
                    for os_, op_, lexical, dt in sorted({(e[4], e[5], e[3], e[6]) for e in entries}, key=str):
                        e = ox.NamedNode(f"{LEX_E}{next(entry)}")
                        quads += [ox.Quad(e, lg, gn, lex), ox.Quad(e, lv, stored, lex), ox.Quad(e, ll, ox.Literal(lexical), lex),
                                  ox.Quad(e, ld, dt, lex), ox.Quad(e, ls, os_, lex), ox.Quad(e, lp, op_, lex)]
        store.extend(quads)
        graph_index = {gn: i for i, gn in enumerate(graph_nodes)}
        out: list[list[Result]] = [[] for _ in graphs]
        answers = _run_all(store, self.queries, threads, self.runtime)
        for q, rows in zip(self.queries, answers):
            for row in rows:
                spec = q.specs[int(row["k"].value)]
                i = graph_index[row["g"]]
                this, rp = row["this"], row["rp"]
                written = None if row["lx"] is None or row["ld"] is None else (row["lx"].value, row["ld"])
                if spec.has_value and row["value"] == this and spec.result_path is None and rp is None:
                    focus_terms = _recover(this, index[i], None, None, written, spec.focus_predicates)
                else:
                    focus_terms = _recover(this, index[i], None, None, None, spec.focus_predicates)
                if rp is not None:  # sh:closed: the predicate of the offending triple
                    path = head = wp = URIRef(rp.value)
                else:
                    path, head, wp = spec.result_path, spec.path_head, spec.witness_predicate
                value = row["value"] if spec.has_value else None
                if value is None:
                    pairs = [(f, None) for f in focus_terms]
                elif value == this and path is None:  # a node shape's value node is its focus node
                    pairs = [(f, f) for f in focus_terms]
                else:
                    ws = row["ws"] if row["ws"] is not None else (this if wp is not None else None)
                    values = _recover(value, index[i], ws, wp, written)
                    pairs = [(f, v) for f in focus_terms for v in values]
                for f, v in pairs:
                    out[i].append(Result(f, path, head, v, spec.messages, spec.severity, spec.source_shape, spec.component))
        return out

    def _stored_forms(self, terms: set) -> None:
        """Fill self._canon: each pyoxigraph literal -> the term Oxigraph stores for it (its
        canonical form when the datatype is one Oxigraph understands and the literal well-formed)."""
        todo = [t for t in terms if t not in self._canon]
        if not todo:
            return
        if len(self._canon) > 200_000:
            self._canon.clear()
        scratch = ox.Store()
        pred = ox.NamedNode(LIT)
        scratch.extend(ox.Quad(ox.NamedNode(f"urn:x-dorsum-shacl:l:{i}"), pred, t) for i, t in enumerate(todo))
        for q in scratch.quads_for_pattern(None, pred, None):
            self._canon[todo[int(q.subject.value.rsplit(":", 1)[1])]] = q.object


def literal_key(lit: Literal) -> tuple:
    """An rdflib literal as an exact key: lexical form, datatype, language and rdflib's ill-typed
    verdict (rdflib rewrites an ill-typed "yes"^^xsd:boolean to the lexical form "false")."""
    return (str(lit), str(lit.datatype or ""), lit.language or "", ill_typed(lit))


def _recover(term, by_stored: dict, ws=None, wp=None, written: tuple | None = None, predicates=None) -> list:
    """The terms of a data graph that Oxigraph's term stands for: for a literal, the ones the data
    graph holds with that stored form (as objects of (ws, wp) when given, with that lexical form
    and datatype as written when given, as objects of one of predicates when given), each RDF term
    once."""
    if not isinstance(term, ox.Literal):
        return [to_rdflib(term)]
    entries = by_stored.get(term)
    if not entries:  # not a literal of the data graph (a constant of the shapes)
        return [from_data_term(term)]
    if ws is not None and wp is not None:
        subj = to_rdflib(ws)
        entries = [e for e in entries if e[0] == subj and e[1] == wp]
    if written is not None:
        entries = [e for e in entries if e[3] == written[0] and e[6] == written[1]]
    if predicates is not None:
        entries = [e for e in entries if e[1] in predicates]
    found = {literal_key(e[2]): e[2] for e in entries}
    return [found[k] for k in sorted(found)]
