"""Whether a knowledge-base query may run over many cases in one store without one case's data
reaching another's conclusions.

The engine classifies a chunk of cases in one store (Engine.derive_batch) because planning ~80
queries once per chunk instead of once per case is most of its speed. That is sound only for a
query whose every solution reads the data of one case. A knowledge base passed with --kb is
untrusted, and a careless rule (an OPTIONAL not tied to ?case) is as bad as a hostile one, so the
engine does not take it on trust: each query's algebra (rdflib) is analysed here, and a knowledge
base with a query that fails the analysis is run one case at a time (same results, slower).

The analysis walks the algebra in evaluation order and tracks the variables *anchored* on one
root variable (`?case` when the query has it, else the subject variable that anchors the most):

- a triple pattern whose subject is anchored anchors its object (a forward step: from a node of
  case c the data reach only c's nodes, knowledge-base terms and literals, because a case input
  may describe only its own nodes, derived triples belong to the case of their subject, and cases
  whose nodes meet are classified apart);
- a backward step (`?x p ?case`) is allowed only from the root, and only when the root is
  guarded by a required `?case a dorsum:Case` or `?case dorsum:entersPathway ...` (only case
  nodes carry those: checked in the knowledge base once, see `guards`);
- a pattern that no anchor reaches (`?feature a dorsum:ChecklistFeature`, a constant subject)
  is *free*: it is sound only if it matches knowledge-base triples alone, which the engine checks
  after each batch (`kb_only`, cheap pattern lookups) and reruns the cases one at a time if not;
- anything that joins solutions across cases whatever the data (LIMIT, an aggregate not grouped
  by the root, a subquery that reads the case without returning the root, an inverse step inside
  a path, a free pattern with a variable predicate) makes the query not batchable.

OPTIONAL, MINUS and EXISTS see only what was anchored before them (their match or failure is a
read too); UNION keeps what both branches anchor; a subquery starts from nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import BNode, Literal, URIRef, Variable
from rdflib.namespace import RDF
from rdflib.paths import AlternativePath, InvPath, MulPath, NegatedPath, Path, SequencePath
from rdflib.plugins.sparql.parserutils import CompValue

from ..namespaces import DORSUM

GUARD = "\0guarded"          # token in the anchored set: the root is known to be a case node
GUARD_PATTERNS = ((RDF.type, DORSUM.Case), (DORSUM.entersPathway, None))


@dataclass(frozen=True)
class Isolation:
    """The verdict on one query. `kb_only`: (s, p, o) patterns (None: any term) that must match
    no triple of a case or of what inference added, for a batch run to be sound; `guards`: the
    (p, o) patterns the query trusts to mark case nodes (they must match nothing in the knowledge
    base)."""

    batchable: bool
    reason: str = ""
    root: str | None = None
    kb_only: tuple = ()
    guards: tuple = ()


class _NotBatchable(Exception):
    pass


def _is_var(t) -> bool:
    return isinstance(t, (Variable, BNode))


def _forward(path) -> bool:
    """A path that only ever steps from subject to object (no inverse step anywhere)."""
    if isinstance(path, URIRef):
        return True
    if isinstance(path, (SequencePath, AlternativePath)):
        return all(_forward(a) for a in path.args)
    if isinstance(path, MulPath):
        return _forward(path.path)
    if isinstance(path, NegatedPath):
        return all(isinstance(a, URIRef) for a in path.args)
    return False


def _first_steps(path) -> list | None:
    """The predicates a path's first step can use (None: any predicate), or None when unknown."""
    if isinstance(path, URIRef):
        return [path]
    if isinstance(path, SequencePath):
        return _first_steps(path.args[0])
    if isinstance(path, AlternativePath):
        out = []
        for a in path.args:
            steps = _first_steps(a)
            if steps is None:
                return None
            out.extend(steps)
        return out
    if isinstance(path, MulPath) and path.mod == "+":
        return _first_steps(path.path)
    return None


class _Walk:
    def __init__(self, root: Variable, kb_graph: str):
        self.root = root
        self.kb_graph = URIRef(kb_graph)
        self.kb_only: list = []
        self.guards: set = set()

    def fail(self, why: str):
        raise _NotBatchable(why)

    # -- graph patterns ---------------------------------------------------------------------
    def walk(self, node, anchored: frozenset, top: bool = False) -> frozenset:
        name = getattr(node, "name", None)
        if name is None:
            self.fail(f"an algebra node the analysis does not know: {type(node).__name__}")
        method = getattr(self, "_" + name, None)
        if method is None:
            self.fail(f"the SPARQL construct {name} is not analysed")
        return method(node, anchored, top) if name in ("Project", "SelectQuery") else method(node, anchored)

    def _BGP(self, node, anchored):
        return self.bgp(list(node.get("triples") or ()), anchored)

    def _Join(self, node, anchored):
        return self.walk(node["p2"], self.walk(node["p1"], anchored))

    def _LeftJoin(self, node, anchored):
        left = self.walk(node["p1"], anchored)
        right = self.walk(node["p2"], left)
        self.expr(node.get("expr"), left | right)
        return left

    def _Minus(self, node, anchored):
        left = self.walk(node["p1"], anchored)
        self.walk(node["p2"], left)
        return left

    def _Union(self, node, anchored):
        return self.walk(node["p1"], anchored) & self.walk(node["p2"], anchored)

    def _Filter(self, node, anchored):
        inner = self.walk(node["p"], anchored)
        self.expr(node["expr"], inner)
        return inner

    def _Extend(self, node, anchored):
        inner = self.walk(node["p"], anchored)
        self.expr(node["expr"], inner)
        if isinstance(node["expr"], Variable) and node["expr"] in inner:
            return inner | {node["var"]}
        return inner  # a computed value (IRI(CONCAT(...))) may name any node: not an anchor

    def _Graph(self, node, anchored):
        if node["term"] == self.kb_graph:  # the knowledge base's own graph: no case data in it
            return anchored | frozenset(v for v in node["p"].get("_vars") or () if _is_var(v))
        inner = self.walk(node["p"], anchored)
        return inner | {node["term"]} if _is_var(node["term"]) else inner

    def _ToMultiSet(self, node, anchored):
        return anchored | self.walk(node["p"], anchored)

    def _values(self, node, anchored):
        return anchored  # constants: a VALUES IRI could be any node, so it anchors nothing

    def _GroupGraphPatternSub(self, node, anchored):
        from rdflib.plugins.sparql.algebra import translateGroupGraphPattern

        return self.walk(translateGroupGraphPattern(node), anchored)  # an EXISTS rdflib left untranslated

    def _Distinct(self, node, anchored):
        return self.walk(node["p"], anchored)

    _Reduced = _Distinct

    def _OrderBy(self, node, anchored):
        return self.walk(node["p"], anchored)

    def _Slice(self, node, anchored):
        self.fail("LIMIT / OFFSET keep some solutions out of all the cases' solutions")

    def _Group(self, node, anchored):
        inner = self.walk(node["p"], anchored)
        keys = node.get("expr") or []
        if self.root in inner and self.root not in keys:
            self.fail(f"an aggregate is not grouped by ?{self.root}: it would count over all the cases")
        return inner

    def _AggregateJoin(self, node, anchored):
        inner = self.walk(node["p"], anchored)
        out = set(inner)
        for agg in node["A"]:
            if agg.name == "Aggregate_Sample" and agg.get("vars") in inner:
                out.add(agg["res"])
        return frozenset(out)

    def _Project(self, node, anchored, top=False):
        if top:
            return self.walk(node["p"], anchored)
        # A subquery is evaluated on its own: its solutions must each read one case, anchored on a
        # variable it returns that is anchored where it is joined (the root, or e.g. ?lump).
        projected = set(node.get("PV") or ())
        roots = [self.root] + sorted(v for v in projected if v in anchored and v != self.root)
        why = f"a subquery reads case data but returns no anchored variable to tie it to ?{self.root}"
        for root in roots:
            sub = _Walk(root, str(self.kb_graph))
            try:
                inner = sub.walk(node["p"], frozenset())
            except _NotBatchable as exc:
                why = str(exc)
                continue
            if root not in projected and (root in inner or sub.kb_only != []):
                why = f"a subquery reads a case but does not return ?{root}"
                continue
            self.kb_only.extend(sub.kb_only)
            self.guards.update(sub.guards)
            return anchored | frozenset(v for v in inner if v in projected)
        self.fail(why)

    def _SelectQuery(self, node, anchored, top=False):
        return self._Project(node, anchored, top) if node.get("p") is not None else anchored

    def _ConstructQuery(self, node, anchored):
        return self.walk(node["p"], anchored, top=True)

    # -- expressions: EXISTS / NOT EXISTS are graph patterns evaluated with the outer bindings ---
    def expr(self, e, anchored) -> None:
        stack = [e]
        while stack:
            x = stack.pop()
            if isinstance(x, CompValue):
                if x.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
                    self.walk(x["graph"], anchored)
                    continue
                stack.extend(v for k, v in x.items() if k != "_vars")
            elif isinstance(x, (list, tuple)):
                stack.extend(x)

    # -- basic graph patterns ----------------------------------------------------------------
    def bgp(self, triples, anchored: frozenset) -> frozenset:
        anch = set(anchored)
        norm = []
        for s, p, o in triples:
            if isinstance(p, InvPath) and isinstance(p.arg, URIRef):
                s, p, o = o, p.arg, s  # ?a ^p ?b is ?b p ?a
            norm.append((s, p, o))
        for s, p, o in norm:  # the guards: required patterns only case nodes match
            if s == self.root:
                for gp, go in GUARD_PATTERNS:
                    if p == gp and (go is None or o == go):
                        anch.add(GUARD)
                        self.guards.add((gp, go))
        pending = list(norm)
        changed = True
        while changed:
            changed = False
            for t in list(pending):
                s, p, o = t
                if isinstance(p, Path) and not _forward(p):
                    self.fail(f"the path {p.n3()} steps backwards: from a shared term it reaches every case")
                if s == self.root or s in anch:
                    anch.update(x for x in (p, o) if _is_var(x))
                elif o == self.root and GUARD in anch and _is_var(s):
                    anch.add(s)  # backward from the guarded root: only the case's own nodes point at it
                    if _is_var(p):
                        anch.add(p)
                else:
                    continue
                pending.remove(t)
                changed = True
        for s, p, o in pending:  # free patterns: sound only if they match knowledge-base triples alone
            if _is_var(s) or isinstance(s, (URIRef, Literal)):
                subject = None if _is_var(s) else s
                obj = None if _is_var(o) else o
                if isinstance(p, URIRef):
                    steps = [p]
                elif _is_var(p):
                    steps = None if subject is None and obj is None else [None]
                else:
                    steps = _first_steps(p)
                    obj = None
                if steps is None:
                    self.fail(f"the pattern {s.n3()} {p.n3()} {o.n3()} is tied to no case and can match any case's data")
                for step in steps:
                    self.kb_only.append((subject, step, obj))
            anch.update(x for x in (s, p, o) if _is_var(x))
        return frozenset(anch)


def _subject_vars(algebra) -> list:
    out: set = set()
    stack = [algebra]
    while stack:
        x = stack.pop()
        if isinstance(x, CompValue):
            if x.name == "BGP":
                out.update(t[0] for t in x.get("triples") or () if isinstance(t[0], Variable))
            stack.extend(v for k, v in x.items() if k not in ("_vars", "template"))
        elif isinstance(x, (list, tuple)):
            stack.extend(x)
    return sorted(out)


def analyse(algebra, kb_graph: str) -> Isolation:
    """The verdict on a query's algebra (rdflib prepareQuery(...).algebra)."""
    if algebra is None:
        return Isolation(False, "rdflib could not read the query, so it was not analysed")
    candidates = [Variable("case")] if Variable("case") in _subject_vars(algebra) else _subject_vars(algebra)
    best, why = None, "the query reads no case data"
    for root in candidates or [Variable("case")]:
        w = _Walk(root, kb_graph)
        try:
            w.walk(algebra, frozenset())
        except _NotBatchable as exc:
            why = str(exc)
            continue
        verdict = Isolation(True, "", str(root), tuple(sorted(set(w.kb_only), key=repr)), tuple(sorted(w.guards, key=repr)))
        if best is None or len(verdict.kb_only) < len(best.kb_only):
            best = verdict
    return best if best is not None else Isolation(False, why)


def verdicts(isolations: dict, kb_states) -> tuple[dict, set]:
    """(query IRI -> why it is not batchable, the free patterns of the batchable ones) for the
    analysed queries of a knowledge base. kb_states(p, o): whether the knowledge base itself has a
    triple (any subject, p, o; o None for any): a guard only case nodes may carry must match none."""
    not_batchable: dict = {}
    kb_only: set = set()
    for iri, iso in isolations.items():
        if not iso.batchable:
            not_batchable[iri] = iso.reason
            continue
        for p, o in iso.guards:
            if kb_states(p, o):
                not_batchable[iri] = (f"the knowledge base itself states {p.n3()} {'' if o is None else o.n3()} "
                                      "about a term, so ?case may be a knowledge-base term")
                break
        else:
            kb_only.update(iso.kb_only)
    return not_batchable, kb_only
