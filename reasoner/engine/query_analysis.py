"""What the engine reads from a SPARQL query before running it, by static analysis of rdflib's
algebra: the keys a query can read (store_reads), the keys it cannot match without
(required_alternatives), whether it is linear (is_linear), and its batch-isolation verdict, all
cached on disk from one parse (query_analysis). The fixpoint scheduler uses them to skip queries
that cannot find anything new."""

from __future__ import annotations

from rdflib import BNode, URIRef
from rdflib.namespace import RDF

from ..namespaces import KB_GRAPH
from ..runtime.cache import ENVIRONMENT, cached_json
from .batch_isolation import Isolation
from .batch_isolation import analyse as analyse_isolation

ANY_TYPE = "rdf:type *"


class _Unanalysable(Exception):
    """A query form an analysis cannot bound (it then answers conservatively)."""


# rdflib's algebra leaves the pattern of a FILTER (NOT) EXISTS as parsed: TriplesBlock (whose
# triples may be flat lists) and GraphGraphPattern instead of BGP and Graph
_TRIPLE_BLOCKS = ("BGP", "TriplesBlock")


def _static_graph(node, static_graphs: frozenset) -> bool:
    return (node.name in ("Graph", "GraphGraphPattern") and isinstance(node.get("term"), URIRef)
            and str(node["term"]) in static_graphs)


def _triples(node) -> list:
    out = []
    for t in node.get("triples") or ():
        t = list(t)
        out.extend(tuple(t[i:i + 3]) for i in range(0, len(t) - 2, 3))
    return out


def parse_algebra(text: str):
    """The query's algebra (rdflib's SPARQL parser), or None when rdflib does not read it."""
    from rdflib.plugins.sparql import prepareQuery

    try:
        return prepareQuery(text).algebra
    except Exception:  # noqa: BLE001 - any parse problem: the query is not analysed
        return None


def _data_patterns(node, static_graphs: frozenset, stop: tuple) -> list:
    """Every triple pattern of a query (anywhere: OPTIONAL, UNION, EXISTS, subqueries) outside
    GRAPH <g> for a static graph g; raises _Unanalysable at an algebra node named in `stop`."""
    from rdflib.plugins.sparql.parserutils import CompValue

    out: list = []

    def visit(node) -> None:
        if isinstance(node, CompValue):
            if node.name in stop:
                raise _Unanalysable
            if _static_graph(node, static_graphs):
                return
            if node.name in _TRIPLE_BLOCKS:
                out.extend(_triples(node))
            for key, value in node.items():
                if key != "template":
                    visit(value)
        elif isinstance(node, (list, tuple)):
            for x in node:
                visit(x)

    visit(node)
    return out


def store_reads(text: str, static_graphs: frozenset, kb_graph: str | None = None) -> frozenset | None:
    """What a query can read of the triples inference adds: the predicate IRIs of its triple
    patterns, and for rdf:type patterns the class, as (rdf:type, class) (ANY_TYPE when the class is
    a variable or rdf:type is inside a path); patterns inside GRAPH <g> for a graph inference never
    writes are left out. None when it could read any triple: a variable predicate, a negated
    property set, a path that can be empty between two variables (it matches every node), SERVICE,
    or a query rdflib's SPARQL parser does not read. The engine re-runs a query only when a triple
    it can read was added since it last ran: otherwise it would find only known triples.

    A variable predicate or class is bounded when every solution also matches a pattern over the
    fixed knowledge-base graph `kb_graph` that names the variable (`GRAPH <kb> { ?p rdfs:domain
    ?c }`): the key is then ("kb", "predicate" or "class", its KB patterns), which the engine
    resolves to the IRIs the knowledge base gives the variable (see kb_constraints)."""
    algebra = parse_algebra(text)
    return None if algebra is None else _reads(algebra, static_graphs, kb_constraints(algebra, kb_graph))


def kb_constraints(algebra, kb_graph: str | None) -> dict:
    """Variable name -> the patterns over the knowledge-base graph that name it, as (role, predicate
    IRI, other IRI or None): ("s", p, o) for `?v p o`, ("o", p, s) for `s p ?v`. Only patterns every
    solution matches count (outside OPTIONAL, UNION, MINUS, FILTER), and none in a query with a
    subquery, whose variables are scoped apart. Every solution then binds the variable to a value
    those patterns give in the knowledge base, which does not change while the engine runs."""
    from rdflib.paths import Path
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import Variable

    found: dict = {}
    if kb_graph is None or _count_nodes(algebra, "Project") > 1:  # the query's own Project, and a subquery's
        return found

    def iri(term):
        return str(term) if isinstance(term, URIRef) else None

    def walk(node, in_kb: bool) -> None:
        if not isinstance(node, CompValue):
            return
        if node.name == "Graph":
            in_kb = isinstance(node.get("term"), URIRef) and str(node["term"]) == kb_graph
        if node.name == "BGP":
            for s, p, o in node.get("triples") or () if in_kb else ():
                if isinstance(p, Path) and not isinstance(p, URIRef):
                    continue
                if isinstance(s, Variable):
                    found.setdefault(str(s), set()).add(("s", str(p), iri(o)))
                if isinstance(o, Variable):
                    found.setdefault(str(o), set()).add(("o", str(p), iri(s)))
            return
        for key in _CONJUNCTIVE.get(node.name, ()):
            walk(node.get(key), in_kb)

    walk(algebra, False)
    return {v: tuple(sorted(c, key=str)) for v, c in found.items()}


def _count_nodes(node, name: str) -> int:
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue):
        return (node.name == name) + sum(_count_nodes(v, name) for v in node.values())
    if isinstance(node, (list, tuple)):
        return sum(_count_nodes(x, name) for x in node)
    return 0


def _reads(algebra, static_graphs: frozenset, bounded: dict | None = None) -> frozenset | None:
    from rdflib.paths import AlternativePath, InvPath, MulPath, Path, SequencePath
    from rdflib.term import Variable

    keys: set = set()
    bounded = bounded or {}

    def can_be_empty(path) -> bool:
        if isinstance(path, MulPath):
            return path.mod in ("*", "?") or can_be_empty(path.path)
        if isinstance(path, SequencePath):
            return all(can_be_empty(x) for x in path.args)
        if isinstance(path, AlternativePath):
            return any(can_be_empty(x) for x in path.args)
        if isinstance(path, InvPath):
            return can_be_empty(path.arg)
        return False

    def path_iris(path) -> None:
        if isinstance(path, URIRef):
            keys.add(ANY_TYPE if path == RDF.type else str(path))
        elif isinstance(path, MulPath):
            path_iris(path.path)
        elif isinstance(path, (SequencePath, AlternativePath)):
            for x in path.args:
                path_iris(x)
        elif isinstance(path, InvPath):
            path_iris(path.arg)
        else:  # a negated property set, or a path form this analysis does not know
            raise _Unanalysable

    def pattern(s, p, o) -> None:
        free = (Variable, BNode)
        if isinstance(p, free):
            if str(p) not in bounded or isinstance(p, BNode):
                raise _Unanalysable
            keys.add(("kb", "predicate", bounded[str(p)]))
        elif isinstance(p, Path):
            if isinstance(s, free) and isinstance(o, free) and can_be_empty(p):
                raise _Unanalysable
            path_iris(p)
        elif p == RDF.type:
            if isinstance(o, Variable) and str(o) in bounded:
                keys.add(("kb", "class", bounded[str(o)]))
            else:
                keys.add(ANY_TYPE if isinstance(o, free) else (str(RDF.type), str(o)))
        else:
            keys.add(str(p))

    try:
        for t in _data_patterns(algebra, static_graphs, ("ServiceGraphPattern",)):
            pattern(*t)
    except _Unanalysable:
        return None
    return frozenset(keys)


_CONJUNCTIVE = {  # algebra node -> the operands every solution of the node comes from
    "Join": ("p1", "p2"), "LeftJoin": ("p1",), "Minus": ("p1",), "Filter": ("p",), "Extend": ("p",),
    "Project": ("p",), "Distinct": ("p",), "Reduced": ("p",), "OrderBy": ("p",), "Slice": ("p",),
    "ToMultiSet": ("p",), "ConstructQuery": ("p",), "SelectQuery": ("p",), "AskQuery": ("p",), "Graph": ("p",),
}


def required_keys(text: str, static_graphs: frozenset) -> frozenset:
    """What a query cannot match without (keys as in store_reads): the predicates, and rdf:type
    with its class, of the triple patterns every solution must match -- outside OPTIONAL, MINUS,
    FILTER, the branches of a UNION (unless in every branch) and aggregates without GROUP BY (which
    answer even over nothing), and outside GRAPH <g> for a static graph g. A query one of whose
    required keys has no triple in the store (the KB, the cases, what was derived) has no solution,
    so the engine does not run it until one appears: most rules never apply to a given case."""
    alternatives = required_alternatives(text, static_graphs)
    return frozenset.intersection(*alternatives)


def required_alternatives(text: str, static_graphs: frozenset) -> list[frozenset]:
    """required_keys, finer: sets of keys such that every solution matches all the keys of at least
    one of them (a UNION's branches give one set each). The engine does not run a query while no
    set has all its keys in the store."""
    algebra = parse_algebra(text)
    return [frozenset()] if algebra is None else _required(algebra, static_graphs)


MAX_ALTERNATIVES = 32  # beyond this, a query's alternatives are merged into the keys common to all


def _required(algebra, static_graphs: frozenset) -> list[frozenset]:
    from rdflib.paths import MulPath, Path, SequencePath
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import Variable

    nothing = [frozenset()]

    def path_keys(path) -> set:
        if isinstance(path, URIRef):
            return set() if path == RDF.type else {str(path)}
        if isinstance(path, SequencePath):
            return set().union(*(path_keys(x) for x in path.args))
        if isinstance(path, MulPath) and path.mod == "+":
            return path_keys(path.path)
        return set()  # * ?, alternatives, inverse, negated sets: nothing certain

    def bounded(alts: list) -> list:
        alts = list(dict.fromkeys(alts))
        if frozenset() in alts:
            return nothing
        return alts if len(alts) <= MAX_ALTERNATIVES else [frozenset.intersection(*alts)]

    def both(a: list, b: list) -> list:
        return bounded([x | y for x in a for y in b])

    def req(node) -> list:
        if not isinstance(node, CompValue) or _static_graph(node, static_graphs):
            return nothing
        if node.name == "BGP":
            out: set = set()
            for _s, p, o in node.get("triples") or ():
                if isinstance(p, Path) and not isinstance(p, URIRef):
                    out |= path_keys(p)
                elif p == RDF.type:
                    if not isinstance(o, (Variable, BNode)):
                        out.add((str(RDF.type), str(o)))
                elif isinstance(p, URIRef):
                    out.add(str(p))
            return [frozenset(out)]
        if node.name == "Union":
            return bounded(req(node.get("p1")) + req(node.get("p2")))
        if node.name == "AggregateJoin":
            return req(node.get("p"))
        if node.name == "Group":  # no GROUP BY: one group, even over no solution
            return req(node.get("p")) if node.get("expr") else nothing
        alts = nothing
        for key in _CONJUNCTIVE.get(node.name, ()):
            alts = both(alts, req(node.get(key)))
        return alts

    return sorted(req(algebra), key=lambda a: sorted(map(str, a)))


def is_linear(text: str, static_graphs: frozenset) -> bool:
    """Whether every solution of a query rests on exactly one triple inference adds: one triple
    pattern (a plain predicate, no path) outside GRAPH <g> for a static graph g, and no aggregate,
    LIMIT/OFFSET or SERVICE. Such a query (the OWL RL steps, the age normalisation) finds nothing new
    when re-run except through the triples derived since its last run, so the engine re-runs it over
    those triples alone (semi-naive evaluation) instead of over the whole chunk."""
    algebra = parse_algebra(text)
    return algebra is not None and _linear(algebra, static_graphs)


def _linear(algebra, static_graphs: frozenset) -> bool:
    from rdflib.paths import Path

    try:
        patterns = _data_patterns(algebra, static_graphs, ("ServiceGraphPattern", "Group", "AggregateJoin", "Slice"))
    except _Unanalysable:
        return False
    # a path is at least two triples
    return sum(2 if isinstance(p, Path) and not isinstance(p, URIRef) else 1 for _s, p, _o in patterns) == 1


ANALYSIS_VERSION = "query-analysis-v5+isolation"


def query_analysis(text: str, static_graphs: frozenset, kb_graph: str | None = None,
                   cache=ENVIRONMENT) -> tuple[frozenset | None, bool, list[frozenset], Isolation]:
    """store_reads, is_linear, required_alternatives and batch isolation (batch_isolation) of a
    query, from one parse with rdflib's SPARQL parser, which is slow enough that a Classifier's
    start-up would otherwise spend seconds on it: cached on disk (in `cache`, see runtime.cache),
    keyed by the query text, the static graphs, the KB graph and the rdflib version."""
    from importlib.metadata import version

    def compute():
        algebra = parse_algebra(text)
        isolation = _isolation_json(analyse_isolation(algebra, kb_graph or KB_GRAPH))
        if algebra is None:  # a query rdflib does not read reads anything, is not linear
            return {"reads": None, "linear": False, "required": [[]], "isolation": isolation}
        reads = _reads(algebra, static_graphs, kb_constraints(algebra, kb_graph))
        return {"reads": None if reads is None else _keys_json(reads), "linear": _linear(algebra, static_graphs),
                "required": [_keys_json(alt) for alt in _required(algebra, static_graphs)], "isolation": isolation}

    key = "\0".join([ANALYSIS_VERSION, version("rdflib"), *sorted(static_graphs), kb_graph or "", text])
    found = cached_json("query", key, compute, cache)
    reads = found["reads"]
    return ((None if reads is None else _keys(reads)), found["linear"], [_keys(alt) for alt in found["required"]],
            _isolation_from_json(found["isolation"]))


def _isolation_json(i: Isolation) -> dict:
    def n3(t):
        return None if t is None else t.n3()
    return {"batchable": i.batchable, "reason": i.reason, "root": i.root,
            "kb_only": [[n3(x) for x in t] for t in i.kb_only], "guards": [[n3(x) for x in g] for g in i.guards]}


def _isolation_from_json(d: dict) -> Isolation:
    from rdflib.util import from_n3

    def term(x):
        return None if x is None else from_n3(x)
    return Isolation(d["batchable"], d["reason"], d["root"], tuple(tuple(term(x) for x in t) for t in d["kb_only"]),
                     tuple(tuple(term(x) for x in g) for g in d["guards"]))


def _keys_json(keys) -> list:
    return sorted([list(k) if isinstance(k, tuple) else k for k in keys], key=str)


def _keys(found: list) -> frozenset:
    return frozenset(_tuples(k) for k in found)


def _tuples(x):
    """JSON lists back to the (nested) tuples the analysis made."""
    return tuple(_tuples(y) for y in x) if isinstance(x, list) else x


def triple_key(t, type_iri: str):
    """A triple's key as store_reads and required_keys name what a query reads."""
    p = t.predicate.value
    return (p, t.object.value) if p == type_iri else p
