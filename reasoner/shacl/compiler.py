"""SHACL Core shapes compiled to SPARQL, run over many data graphs at once in Oxigraph.

`compile_shapes(shapes_graph)` turns every targeted shape of a shapes graph into one SPARQL SELECT
query (a UNION with one branch per constraint component, property shapes included), following the
SHACL specification's definition of each component: its focus nodes, value nodes, and when a
value node or focus node fails. `CompiledShapes.validate(graphs)` loads the data graphs into one
in-memory Oxigraph store, each in its own named graph (so a focus node always maps back to its
data graph), runs the queries once and returns, per data graph, the validation results a SHACL
processor reports: focus node, result path, value, messages, severity, source shape and component.

Supported (everything else in the sh: namespace is refused with an error naming the shape and the
component, so a shape the compiled validator would silently ignore cannot exist):
targets sh:targetClass (following rdfs:subClassOf in the data graph), sh:targetNode,
sh:targetSubjectsOf, sh:targetObjectsOf and implicit class targets; sh:path (IRIs, sequence,
alternative, inverse, zero-or-more, one-or-more and zero-or-one paths); sh:property, sh:node,
sh:and, sh:or, sh:xone, sh:not; sh:minCount, sh:maxCount; sh:datatype, sh:class, sh:nodeKind;
sh:minInclusive, sh:maxInclusive, sh:minExclusive, sh:maxExclusive; sh:minLength, sh:maxLength,
sh:pattern (with sh:flags); sh:in, sh:hasValue; sh:languageIn, sh:uniqueLang; sh:equals,
sh:disjoint, sh:lessThan, sh:lessThanOrEquals; sh:closed with sh:ignoredProperties; sh:message,
sh:severity and sh:deactivated; sh:qualifiedValueShape with sh:qualifiedMinCount,
sh:qualifiedMaxCount and sh:qualifiedValueShapesDisjoint. Not supported: SHACL-SPARQL and SHACL-AF.
The W3C SHACL core test suite runs against it (tests/test_shacl_w3c.py).

Supported shapes are also checked for form: a property shape has exactly one sh:path (two, or none
on a value of sh:property or an sh:PropertyShape, is refused naming the shape), list-valued
parameters (sh:in, sh:and, sh:or, sh:xone) are well-formed RDF lists.

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
Known differences from pySHACL, none reachable with the shapes and inputs dorsum ships: a shape
without sh:message gets a generic message of this module's own wording; recursive shapes are
refused (pySHACL skips the recursion); severities of shapes nested in sh:node/sh:or/... are not
distinguished; two written forms of one value in one data graph ("1.0" and "1.00"), one reached
other than by a plain property (a literal focus node of a node shape, a value of a complex path),
may be confused by a lexical constraint on it; sh:equals and sh:disjoint compare literals as Oxigraph
stores them ("1.0" and "1.00"^^xsd:decimal are equal there). Both see literals as rdflib parsed them (it
rewrites "0250"^^xsd:integer to "250" and "1"^^xsd:boolean to "true").

The queries use joins, OPTIONAL + !BOUND and grouping only: no FILTER (NOT) EXISTS, which Oxigraph
evaluates against the whole dataset (quadratic over a batch).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from itertools import count
from time import perf_counter
from typing import Iterable, Sequence

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, XSD

from ..errors import DorsumError
from ..namespaces import PREFIXES, SH
from ..terms import ox_triples, to_ox, to_rdflib

GRAPH_BASE = "urn:x-dorsum-shacl:graph:"           # data graph i is <urn:x-dorsum-shacl:graph:i>
GRAPHS_GRAPH = "urn:x-dorsum-shacl:graphs"         # lists the data graphs (for sh:targetNode)
ILL_TYPED = "urn:x-dorsum-shacl:ill-typed:"       # + datatype IRI: the datatype of an ill-typed literal in the store
LEX_GRAPH = "urn:x-dorsum-shacl:lexical"          # literals' lexical forms as written, where Oxigraph rewrote one
_LEX_E = "urn:x-dorsum-shacl:lexical:"            # + n: an entry (data graph, stored term, lexical form)
_LEX_G = "urn:x-dorsum-shacl:lexical-graph"
_LEX_V = "urn:x-dorsum-shacl:lexical-term"
_LEX_L = "urn:x-dorsum-shacl:lexical-form"
_LEX_S = "urn:x-dorsum-shacl:lexical-subject"
_LEX_P = "urn:x-dorsum-shacl:lexical-predicate"
_LEX_D = "urn:x-dorsum-shacl:lexical-datatype"
_LIT = "urn:x-dorsum-shacl:literal"
_DATA_GRAPH = "urn:x-dorsum-shacl:DataGraph"


class ShapeCompileError(DorsumError):
    """A shape the compiler cannot turn into SPARQL (an unsupported component, a malformed value)."""


TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
# sh: predicates of a shape that are not constraint components (they describe, target or wire it)
NOT_COMPONENTS = {SH.path, SH.message, SH.severity, SH.deactivated, SH.name, SH.description, SH.order,
                  SH.group, SH.defaultValue, SH.ignoredProperties, SH.flags, SH.qualifiedValueShape,
                  SH.qualifiedValueShapesDisjoint, *TARGETS}
COMPONENTS = {
    SH.property: SH.PropertyConstraintComponent, SH.node: SH.NodeConstraintComponent,
    SH["and"]: SH.AndConstraintComponent, SH["or"]: SH.OrConstraintComponent,
    SH.xone: SH.XoneConstraintComponent, SH["not"]: SH.NotConstraintComponent,
    SH.minCount: SH.MinCountConstraintComponent, SH.maxCount: SH.MaxCountConstraintComponent,
    SH.datatype: SH.DatatypeConstraintComponent, SH["class"]: SH.ClassConstraintComponent,
    SH.nodeKind: SH.NodeKindConstraintComponent,
    SH.minInclusive: SH.MinInclusiveConstraintComponent, SH.maxInclusive: SH.MaxInclusiveConstraintComponent,
    SH.minExclusive: SH.MinExclusiveConstraintComponent, SH.maxExclusive: SH.MaxExclusiveConstraintComponent,
    SH.minLength: SH.MinLengthConstraintComponent, SH.maxLength: SH.MaxLengthConstraintComponent,
    SH.pattern: SH.PatternConstraintComponent, SH["in"]: SH.InConstraintComponent,
    SH.hasValue: SH.HasValueConstraintComponent, SH.closed: SH.ClosedConstraintComponent,
    SH.languageIn: SH.LanguageInConstraintComponent, SH.uniqueLang: SH.UniqueLangConstraintComponent,
    SH.equals: SH.EqualsConstraintComponent, SH.disjoint: SH.DisjointConstraintComponent,
    SH.lessThan: SH.LessThanConstraintComponent, SH.lessThanOrEquals: SH.LessThanOrEqualsConstraintComponent,
    SH.qualifiedMinCount: SH.QualifiedMinCountConstraintComponent,
    SH.qualifiedMaxCount: SH.QualifiedMaxCountConstraintComponent,
}
_COMPARISONS = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"}
_NODE_KINDS = {
    SH.IRI: "isIRI({v})", SH.BlankNode: "isBlank({v})", SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "(isBlank({v}) || isIRI({v}))", SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
    SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))",
}
_TYPE_OF = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>/<http://www.w3.org/2000/01/rdf-schema#subClassOf>*"


# ---------------------------------------------------------------- terms

_PY_TYPES = {XSD.string: str, RDF.langString: str, XSD.integer: int, XSD.float: float, XSD.decimal: Decimal,
             XSD.boolean: bool, XSD.date: date, XSD.time: time, XSD.dateTime: datetime}




def ill_typed(lit: Literal) -> bool:
    """rdflib's verdict on whether a literal is ill-formed for its own datatype (what sh:datatype
    checks besides the datatype IRI)."""
    if getattr(lit, "ill_typed", None) is True:
        return True
    dt = lit.datatype or (RDF.langString if lit.language else XSD.string)
    want = _PY_TYPES.get(dt)
    return want is not None and not isinstance(lit.value, want)


def data_term(lit: Literal):
    """The pyoxigraph term a data literal is stored as. A literal rdflib finds ill-typed gets the
    datatype <urn:x-dorsum-shacl:ill-typed:DATATYPE>: it is then a term of its own, which no
    well-typed literal equals and no sh:datatype accepts, and which Oxigraph keeps as it is. (rdflib
    has already rewritten an ill-typed "yes"^^xsd:boolean to "false"; as "false"^^xsd:boolean it
    would be the very term a valid case writes.) Oxigraph itself keeps an ill-typed literal as
    written and stores a well-typed one of a datatype it knows in canonical form ("1.00"^^xsd:decimal
    as "1"), in its queries' constants too."""
    if ill_typed(lit):
        dt = lit.datatype or (RDF.langString if lit.language else XSD.string)
        return ox.Literal(str(lit), datatype=ox.NamedNode(ILL_TYPED + str(dt)))
    return to_ox(lit)


def from_data_term(term):
    """data_term's inverse (for a term the data graphs do not hold as written)."""
    if isinstance(term, ox.Literal) and term.datatype.value.startswith(ILL_TYPED):
        return Literal(term.value, datatype=URIRef(term.datatype.value[len(ILL_TYPED):]))
    return to_rdflib(term)


def _sparql_iri(text: str) -> str:
    if re.search(r'[\x00-\x20<>"{}|^`\\]', text):
        raise ShapeCompileError(f"IRI {text!r} cannot be written in SPARQL")
    return f"<{text}>"


def _sparql_string(text: str) -> str:
    """A simple literal (xsd:string: never rewritten by Oxigraph)."""
    return Literal(text).n3()


def _sparql_term(term) -> str:
    if isinstance(term, URIRef):
        return _sparql_iri(str(term))
    if isinstance(term, Literal):
        if ill_typed(term):  # as data_term stores it
            dt = term.datatype or (RDF.langString if term.language else XSD.string)
            return f"{_sparql_string(str(term))}^^{_sparql_iri(ILL_TYPED + str(dt))}"
        return term.n3()
    raise ShapeCompileError(f"a blank node ({term}) cannot be a constant in a compiled shape")


# ---------------------------------------------------------------- compiled form

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


@dataclass
class _Branch:
    pattern: str
    component: URIRef
    focus: str                      # variable
    value: str | None = None        # variable of the value node
    witness: str | None = None      # variable of the subject holding the value
    witness_predicate: URIRef | None = None
    path_var: str | None = None     # variable of a dynamic result path (sh:closed)
    lexical: tuple | None = None    # variables of the value's lexical form and datatype as written


@dataclass
class _Row:
    """A simple component of a property shape with a plain-property path, at the top level: all
    rows of one kind and focus pattern become one table-driven branch (a VALUES table of the
    paths and parameters), so a shape's query stays small however many properties it lists."""

    kind: str                       # minCount maxCount datatype class node >= <= > < minLength maxLength
    focus_pattern: str
    focus: str
    path: URIRef
    param: object                   # the component's parameter (an int or an RDF term)
    component: URIRef

    @property
    def value(self):                # a result of this row names its value node (not for counts)
        return None if self.kind in ("minCount", "maxCount") else "?tv"

    @property
    def witness_predicate(self):
        return self.path


@dataclass
class _Values:
    """The value nodes of a shape for the focus nodes of a pattern."""

    pattern: str                    # binds ?g, the focus variable and the value variable
    focus: str
    value: str
    witness: str | None = None
    witness_predicate: URIRef | None = None
    focus_pattern: str = ""         # the focus pattern alone
    path: str | None = None         # SPARQL path (property shapes)


def _run_all(store: ox.Store, queries: list[CompiledQuery], threads: int, runtime) -> list[list]:
    """Run read-only queries over one store, each one's rows in order. They are independent and
    Oxigraph parses, plans and evaluates without holding the GIL for most of a query, so two threads
    validate a large chunk in about half the time; results come back in the queries' order, so the
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
        is_a, data_graph, graphs_graph = ox.NamedNode(str(RDF.type)), ox.NamedNode(_DATA_GRAPH), ox.NamedNode(GRAPHS_GRAPH)
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
        lg, lv, ll, ls, lp, ld = (ox.NamedNode(x) for x in (_LEX_G, _LEX_V, _LEX_L, _LEX_S, _LEX_P, _LEX_D))
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
                        e = ox.NamedNode(f"{_LEX_E}{next(entry)}")
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
        pred = ox.NamedNode(_LIT)
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


# ---------------------------------------------------------------- the compiler

class _Compiler:
    def __init__(self, g: Graph):
        self.g = g
        self._n = count()
        self._stack: list = []
        self._names = Graph(bind_namespaces="none")  # prefixes for messages: the shapes graph's, then dorsum's
        for prefix, ns in list(g.namespaces()) + sorted(PREFIXES.items()):
            self._names.bind(prefix, ns, override=False)

    # names and descriptions ------------------------------------------------

    def var(self, stem: str) -> str:
        return f"?{stem}{next(self._n)}"

    def name(self, shape) -> str:
        if isinstance(shape, URIRef):
            try:
                return self._names.namespace_manager.normalizeUri(shape)
            except Exception:  # noqa: BLE001 - any naming problem: fall back to the full IRI
                return f"<{shape}>"
        paths = sorted(self.g.objects(shape, SH.path), key=lambda x: (isinstance(x, BNode), str(x)))
        parent = next(iter(sorted(self.g.subjects(SH.property, shape), key=str)), None)
        where = f" of {self.name(parent)}" if parent is not None else ""
        if len(paths) > 1:
            return f"the property shape on {' and '.join(self._path_text(p) for p in paths)}{where}"
        if paths:
            return f"the property shape on {self._path_text(paths[0])}{where}"
        return f"a blank node shape{where}"

    def _path_text(self, path) -> str:
        if isinstance(path, URIRef):
            return self.name(path)
        try:
            return self.sparql_path(path)
        except ShapeCompileError:
            return "a complex path"

    def fail(self, shape, message: str):
        raise ShapeCompileError(f"shape {self.name(shape)}: {message}")

    # shapes ------------------------------------------------------------------

    def check_shape(self, shape) -> None:
        unsupported = sorted("sh:" + str(p)[len(str(SH)):] for p in set(self.g.predicates(shape))
                             if str(p).startswith(str(SH)) and p not in NOT_COMPONENTS and p not in COMPONENTS)
        if unsupported:
            self.fail(shape, f"{'constraint' if len(unsupported) == 1 else 'constraints'} {', '.join(unsupported)} "
                             f"{'is' if len(unsupported) == 1 else 'are'} not supported by the compiled SHACL validator; "
                             "support it in reasoner/shacl/compiler.py or express the constraint with supported "
                             "components (listed in that module's docstring)")
        paths = list(self.g.objects(shape, SH.path))
        if len(paths) > 1:
            self.fail(shape, f"has {len(paths)} sh:path values; a property shape has exactly one")
        if not paths and ((shape, RDF.type, SH.PropertyShape) in self.g or (None, SH.property, shape) in self.g):
            self.fail(shape, "is a property shape (a value of sh:property or typed sh:PropertyShape) without sh:path; "
                             "a property shape has exactly one")
        if paths and (shape, RDF.type, SH.NodeShape) in self.g:
            self.fail(shape, "is typed sh:NodeShape but has sh:path")
        if (shape, SH["in"], None) in self.g:
            self.items(shape, self.one(shape, SH["in"]))
        for p in (SH["and"], SH["or"], SH.xone):
            for lst in self.g.objects(shape, p):
                self.items(shape, lst)
        if (shape, SH.ignoredProperties, None) in self.g and (shape, SH.closed, None) not in self.g:
            self.fail(shape, "sh:ignoredProperties is only allowed on a shape with sh:closed")
        if (shape, SH.flags, None) in self.g and (shape, SH.pattern, None) not in self.g:
            self.fail(shape, "sh:flags is only allowed with sh:pattern")


    def deactivated(self, shape) -> bool:
        return any(isinstance(v, Literal) and v.toPython() is True for v in self.g.objects(shape, SH.deactivated))

    def is_property_shape(self, shape) -> bool:
        return (shape, SH.path, None) in self.g

    def one(self, shape, param):
        values = list(self.g.objects(shape, param))
        if len(values) != 1:
            self.fail(shape, f"needs exactly one {self.name(param)}, has {len(values)}")
        return values[0]

    def items(self, shape, lst) -> list:
        """The members of an RDF list (a well-formed one: each node one rdf:first and one rdf:rest,
        ending in rdf:nil, no cycle)."""
        out, node, seen = [], lst, set()
        while node != RDF.nil:
            firsts, rests = list(self.g.objects(node, RDF.first)), list(self.g.objects(node, RDF.rest))
            if isinstance(node, Literal) or len(firsts) != 1 or len(rests) != 1 or node in seen:
                self.fail(shape, f"the value of a list-valued parameter is not a well-formed RDF list: {lst}")
            seen.add(node)
            out.append(firsts[0])
            node = rests[0]
        return out

    def integer(self, shape, param) -> int:
        v = self.one(shape, param)
        if not isinstance(v, Literal) or not isinstance(v.toPython(), int) or isinstance(v.toPython(), bool) or v.toPython() < 0:
            self.fail(shape, f"{self.name(param)} must be a non-negative integer, not {v}")
        return v.toPython()

    # paths -------------------------------------------------------------------

    def sparql_path(self, p) -> str:
        g = self.g
        if isinstance(p, URIRef):
            return _sparql_term(p)
        if (p, RDF.first, None) in g:
            steps = list(Collection(g, p))
            if len(steps) < 2:
                raise ShapeCompileError(f"a sequence path needs at least two steps: {p}")
            return "(" + " / ".join(self.sparql_path(s) for s in steps) + ")"
        for pred, fmt in ((SH.inversePath, "^({})"), (SH.zeroOrMorePath, "({})*"), (SH.oneOrMorePath, "({})+"),
                          (SH.zeroOrOnePath, "({})?")):
            inner = g.value(p, pred)
            if inner is not None:
                return fmt.format(self.sparql_path(inner))
        alt = g.value(p, SH.alternativePath)
        if alt is not None:
            options = list(Collection(g, alt))
            if len(options) < 2:
                raise ShapeCompileError(f"an alternative path needs at least two members: {p}")
            return "(" + " | ".join(self.sparql_path(s) for s in options) + ")"
        raise ShapeCompileError(f"not a SHACL property path: {p}")

    def path_head(self, shape):
        path = self.g.value(shape, SH.path)
        if path is None or isinstance(path, URIRef):
            return path
        return self.g.value(path, RDF.first)

    # lexical forms -----------------------------------------------------------

    def lexical(self, v: str, ws: str | None = None, wp: str | None = None) -> tuple[str, str, str]:
        """A block binding two new variables to v's lexical form and datatype as the data graph
        writes them (from the lexical-forms graph where Oxigraph rewrote them, else STR(v) and
        DATATYPE(v)): as the object of (ws, wp) when they are given (a value reached by a plain
        property), else of any triple of the data graph; with several written forms of one stored
        term, one solution each."""
        e, lx0, dt0, lx, dt = self.var("lxe"), self.var("lx"), self.var("dt"), self.var("lx"), self.var("dt")
        tie = f" . {e} <{_LEX_S}> {ws} . {e} <{_LEX_P}> {wp}" if ws is not None and wp is not None else ""
        return (f"OPTIONAL {{ GRAPH <{LEX_GRAPH}> {{ {e} <{_LEX_G}> ?g . {e} <{_LEX_V}> {v} . {e} <{_LEX_L}> {lx0} . "
                f"{e} <{_LEX_D}> {dt0}{tie} }} }} "
                f"BIND(COALESCE({lx0}, STR({v})) AS {lx}) BIND(COALESCE({dt0}, DATATYPE({v})) AS {dt})"), lx, dt

    @staticmethod
    def same_term(v: str, lx: str, dt_var: str, term) -> str:
        """v (written with lexical form lx and datatype dt_var) is the RDF term `term`: for a literal, the same lexical form,
        datatype and language tag (term equality, not value equality: "1.00"^^xsd:decimal is not
        "1.0"^^xsd:decimal)."""
        if not isinstance(term, Literal):
            return f"sameTerm({v}, {_sparql_term(term)})"
        if term.language:
            return (f"(isLiteral({v}) && {lx} = {_sparql_string(str(term))} && "
                    f"LCASE(LANG({v})) = {_sparql_string(term.language.lower())})")
        dt = term.datatype or XSD.string
        if ill_typed(term):
            dt = URIRef(ILL_TYPED + str(dt))
        return (f"(isLiteral({v}) && LANG({v}) = \"\" && {lx} = {_sparql_string(str(term))} && "
                f"{dt_var} = {_sparql_iri(str(dt))})")

    # focus and value nodes ---------------------------------------------------

    def target_pattern(self, shape) -> str | None:
        """Focus nodes of a shape's targets, bound to ?g and ?this."""
        parts = []
        for c in sorted(self.g.objects(shape, SH.targetClass), key=str):
            parts.append(f"GRAPH ?g {{ ?this {_TYPE_OF} {_sparql_term(c)} }}")
        if (shape, RDF.type, RDFS.Class) in self.g and isinstance(shape, URIRef):  # an implicit class target
            parts.append(f"GRAPH ?g {{ ?this {_TYPE_OF} {_sparql_term(shape)} }}")
        for n in sorted(self.g.objects(shape, SH.targetNode), key=str):
            parts.append(f"GRAPH <{GRAPHS_GRAPH}> {{ ?g a <{_DATA_GRAPH}> }} BIND({_sparql_term(n)} AS ?this)")
        for p in sorted(self.g.objects(shape, SH.targetSubjectsOf), key=str):
            parts.append(f"GRAPH ?g {{ ?this {_sparql_term(p)} ?x }}")
        for p in sorted(self.g.objects(shape, SH.targetObjectsOf), key=str):
            parts.append(f"GRAPH ?g {{ ?x {_sparql_term(p)} ?this }}")
        if not parts:
            return None
        return "{ SELECT DISTINCT ?g ?this WHERE { " + " UNION ".join("{ " + p + " }" for p in parts) + " } }"

    def values(self, shape, focus_pattern: str, f: str) -> _Values:
        if not self.is_property_shape(shape):
            return _Values(focus_pattern, f, f, focus_pattern=focus_pattern)
        path = self.g.value(shape, SH.path)
        sp = self.sparql_path(path)
        v = self.var("v")
        if isinstance(path, URIRef):
            return _Values(f"{focus_pattern} GRAPH ?g {{ {f} {sp} {v} }}", f, v, None, path, focus_pattern, sp)
        steps = list(Collection(self.g, path)) if (path, RDF.first, None) in self.g else []
        if steps and isinstance(steps[-1], URIRef):
            ws = self.var("ws")
            prefix = self.sparql_path(steps[0]) if len(steps) == 2 else "(" + " / ".join(self.sparql_path(s) for s in steps[:-1]) + ")"
            return _Values(f"{focus_pattern} GRAPH ?g {{ {f} {prefix} {ws} . {ws} {_sparql_term(steps[-1])} {v} }}",
                           f, v, ws, steps[-1], focus_pattern, sp)
        return _Values(f"{focus_pattern} GRAPH ?g {{ {f} {sp} {v} }}", f, v, None, None, focus_pattern, sp)

    # conformance of nested shapes -------------------------------------------

    def failing(self, shape, focus_pattern: str, f: str) -> str | None:
        """A pattern binding ?g and f to the focus nodes (of focus_pattern) that do not conform to
        shape; None when no node can fail it."""
        if self.deactivated(shape):
            return None
        if shape in self._stack:
            self.fail(shape, "recursive shapes are not supported by the compiled SHACL validator")
        self._stack.append(shape)
        try:
            branches = self.branches(shape, focus_pattern, f, nested=True)
        finally:
            self._stack.pop()
        if not branches:
            return None
        union = " UNION ".join("{ " + b.pattern + " }" for b in branches)
        return f"{{ SELECT DISTINCT ?g {f} WHERE {{ {union} }} }}"

    def member_flags(self, shape, param, vals: _Values) -> tuple[list[str], list[str | None]]:
        """For sh:or / sh:xone: OPTIONAL blocks marking value nodes that fail each member shape."""
        members = self.items(shape, self.one(shape, param))
        if not members:
            self.fail(shape, f"the list of {self.name(param)} is empty")
        focus = f"{{ SELECT DISTINCT ?g {vals.value} WHERE {{ {vals.pattern} }} }}"
        blocks, flags = [], []
        for m in members:
            pattern = self.failing(m, focus, vals.value)
            if pattern is None:
                flags.append(None)
                continue
            flag = self.var("m")
            blocks.append(f"OPTIONAL {{ {pattern} BIND(true AS {flag}) }}")
            flags.append(flag)
        return blocks, flags

    # constraint components ---------------------------------------------------

    def branches(self, shape, focus_pattern: str, f: str, nested: bool) -> list[_Branch]:
        """One branch per constraint component of shape (and, through sh:property, of its property
        shapes), each a pattern binding ?g, the focus variable and what the result reports."""
        if self.deactivated(shape):
            return []
        self.check_shape(shape)
        g = self.g
        vals = self.values(shape, focus_pattern, f)
        v = vals.value
        out: list = []
        is_ps = self.is_property_shape(shape)
        # top-level results of a plain-property path: simple components become table rows
        table = not nested and is_ps and isinstance(g.value(shape, SH.path), URIRef)

        def row(kind: str, param_value, component) -> None:
            out.append(_Row(kind, focus_pattern, f, g.value(shape, SH.path), param_value, component))

        def lex(var: str) -> tuple[str, str]:
            """lexical() of the value variable, tied to the triple holding it where known."""
            wp = vals.witness_predicate
            if var != v or wp is None:
                return self.lexical(var)
            return self.lexical(var, vals.witness or f, _sparql_term(wp))

        def on_values(component, condition_blocks: str, filt: str | None, lexical: tuple | None = None) -> None:
            pattern = f"{vals.pattern} {condition_blocks}" + (f" FILTER({filt})" if filt else "")
            out.append(_Branch(pattern, component, f, v, vals.witness, vals.witness_predicate, lexical=lexical))

        for param in sorted(set(g.predicates(shape)), key=str):
            comp = COMPONENTS.get(param)
            if comp is None or param == SH.property:
                continue
            if param in (SH.minCount, SH.maxCount):
                if not is_ps:
                    self.fail(shape, f"{self.name(param)} is only allowed on a property shape (one with sh:path)")
                n = self.integer(shape, param)
                x = self.var("x")
                if table:
                    if n or param == SH.maxCount:
                        row("minCount" if param == SH.minCount else "maxCount", n, comp)
                    continue
                if param == SH.minCount:
                    if n == 0:
                        continue
                    inner = f"{focus_pattern} OPTIONAL {{ GRAPH ?g {{ {f} {vals.path} {x} }} }}"
                    having = f"COUNT(DISTINCT {x}) < {n}"
                else:
                    inner = f"{focus_pattern} GRAPH ?g {{ {f} {vals.path} {x} }}"
                    having = f"COUNT(DISTINCT {x}) > {n}"
                out.append(_Branch(f"{{ SELECT ?g {f} WHERE {{ {inner} }} GROUP BY ?g {f} HAVING ({having}) }}", comp, f))
            elif param == SH.datatype:
                dt = self.one(shape, param)
                if not isinstance(dt, URIRef) or dt == RDFS.Datatype:
                    self.fail(shape, f"sh:datatype {dt} is not supported by the compiled SHACL validator")
                if dt == RDFS.Literal:
                    on_values(comp, "", f"!isLiteral({v})")
                elif table:
                    row("datatype", dt, comp)
                else:  # as written (an ill-typed literal has data_term's datatype)
                    block, lx, dtv = lex(v)
                    on_values(comp, block, f"!(isLiteral({v}) && {dtv} = {_sparql_term(dt)})", (lx, dtv))
            elif param == SH["class"]:
                for c in sorted(g.objects(shape, param), key=str):
                    if table:
                        row("class", c, comp)
                        continue
                    ok = self.var("ok")
                    on_values(comp, f"OPTIONAL {{ GRAPH ?g {{ {v} {_TYPE_OF} {_sparql_term(c)} }} BIND(true AS {ok}) }}",
                              f"!BOUND({ok})")
            elif param == SH.nodeKind:
                kind = self.one(shape, param)
                if kind not in _NODE_KINDS:
                    self.fail(shape, f"unknown sh:nodeKind {kind}")
                on_values(comp, "", "!" + _NODE_KINDS[kind].format(v=v))
            elif param in _COMPARISONS:
                for bound in sorted(g.objects(shape, param), key=str):
                    if not isinstance(bound, Literal):
                        self.fail(shape, f"{self.name(param)} must be a literal, not {bound}")
                    if table:
                        row(_COMPARISONS[param], bound, comp)
                        continue
                    on_values(comp, "", f"!COALESCE({v} {_COMPARISONS[param]} {_sparql_term(bound)}, false)")
            elif param in (SH.minLength, SH.maxLength):
                n = self.integer(shape, param)
                if table:
                    if n or param == SH.maxLength:
                        row("minLength" if param == SH.minLength else "maxLength", n, comp)
                    continue
                if param == SH.minLength and n == 0:
                    continue
                block, lx, dt = lex(v)
                op = ">=" if param == SH.minLength else "<="
                on_values(comp, block, f"isBlank({v}) || !COALESCE(STRLEN({lx}) {op} {n}, false)", (lx, dt))
            elif param == SH.pattern:
                flags = g.value(shape, SH.flags)
                flag_text = ", " + _sparql_term(Literal(str(flags))) if flags is not None else ""
                for pat in sorted(g.objects(shape, param), key=str):
                    if not isinstance(pat, Literal):
                        self.fail(shape, f"sh:pattern must be a literal, not {pat}")
                    block, lx, dt = lex(v)
                    on_values(comp, block, f"isBlank({v}) || !COALESCE(REGEX({lx}, {_sparql_string(str(pat))}{flag_text}), false)",
                              (lx, dt))
            elif param == SH["in"]:
                members = self.items(shape, self.one(shape, param))
                if any(isinstance(m, BNode) for m in members):
                    self.fail(shape, "sh:in with blank node members is not supported by the compiled SHACL validator")
                block, lx, dt = lex(v)
                test = " || ".join(self.same_term(v, lx, dt, m) for m in members) or "false"
                on_values(comp, block, f"!({test})", (lx, dt))
            elif param == SH.hasValue:
                for hv in sorted(g.objects(shape, param), key=str):
                    if isinstance(hv, BNode):
                        self.fail(shape, "sh:hasValue with a blank node is not supported by the compiled SHACL validator")
                    if is_ps and not isinstance(hv, Literal):
                        h = self.var("h")
                        pattern = (f"{focus_pattern} OPTIONAL {{ GRAPH ?g {{ {f} {vals.path} {_sparql_term(hv)} }} "
                                   f"BIND(true AS {h}) }} FILTER(!BOUND({h}))")
                    elif is_ps:  # a value node that is hv as written (Oxigraph would match "1.00" to "1.0")
                        h, x = self.var("h"), self.var("x")
                        path = g.value(shape, SH.path)
                        block, lx, dt = self.lexical(x, f, _sparql_term(path)) if isinstance(path, URIRef) else self.lexical(x)
                        pattern = (f"{focus_pattern} OPTIONAL {{ GRAPH ?g {{ {f} {vals.path} {x} }} {block} "
                                   f"FILTER({self.same_term(x, lx, dt, hv)}) BIND(true AS {h}) }} FILTER(!BOUND({h}))")
                    else:
                        block, lx, dt = self.lexical(f)
                        pattern = f"{focus_pattern} {block} FILTER(!({self.same_term(f, lx, dt, hv)}))"
                    out.append(_Branch(pattern, comp, f))
            elif param == SH.languageIn:
                tags = self.items(shape, self.one(shape, param))
                if not all(isinstance(t, Literal) for t in tags):
                    self.fail(shape, "sh:languageIn takes a list of language tags (literals)")
                test = " || ".join(f"langMatches(LANG({v}), {_sparql_string(str(t))})" for t in tags) or "false"
                on_values(comp, "", f"!(isLiteral({v}) && ({test}))")
            elif param == SH.uniqueLang:
                unique = self.one(shape, param)
                if not (isinstance(unique, Literal) and unique.datatype == XSD.boolean):
                    self.fail(shape, f"sh:uniqueLang must be true or false, not {unique}")
                if str(unique) != "true":  # only the literal true ("1"^^xsd:boolean is not: W3C uniqueLang-002)
                    continue
                if not is_ps:
                    self.fail(shape, "sh:uniqueLang is only allowed on a property shape (one with sh:path)")
                x, lang = self.var("x"), self.var("lang")
                # one result per focus node and language tag used by two values or more
                out.append(_Branch(f"{{ SELECT ?g {f} WHERE {{ {focus_pattern} GRAPH ?g {{ {f} {vals.path} {x} }} "
                                   f"BIND(LCASE(LANG({x})) AS {lang}) FILTER({lang} != \"\") }} "
                                   f"GROUP BY ?g {f} {lang} HAVING (COUNT(DISTINCT {x}) > 1) }}", comp, f))
            elif param in (SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals):
                other = self.one(shape, param)
                if not isinstance(other, URIRef):
                    self.fail(shape, f"{self.name(param)} takes a property IRI, not {other}")
                if param in (SH.lessThan, SH.lessThanOrEquals) and not is_ps:
                    self.fail(shape, f"{self.name(param)} is only allowed on a property shape (one with sh:path)")
                o, h = self.var("o"), self.var("h")
                op = _sparql_term(other)
                if param == SH.disjoint:  # a value node that is also a value of the other property
                    on_values(comp, f"GRAPH ?g {{ {f} {op} {v} }}", None)
                elif param == SH.equals:  # a value node the other property lacks, and the other way round
                    on_values(comp, f"OPTIONAL {{ GRAPH ?g {{ {f} {op} {v} }} BIND(true AS {h}) }}", f"!BOUND({h})")
                    h2 = self.var("h")
                    mine = (f"OPTIONAL {{ GRAPH ?g {{ {f} {vals.path} {o} }} BIND(true AS {h2}) }} FILTER(!BOUND({h2}))"
                            if is_ps else f"FILTER(!sameTerm({o}, {f}))")
                    out.append(_Branch(f"{focus_pattern} GRAPH ?g {{ {f} {op} {o} }} {mine}", comp, f, o, None, other))
                else:  # lessThan, lessThanOrEquals: each pair that is not in order, incomparable ones too
                    cmp = "<" if param == SH.lessThan else "<="
                    on_values(comp, f"GRAPH ?g {{ {f} {op} {o} }}", f"!COALESCE({v} {cmp} {o}, false)")
            elif param in (SH.qualifiedMinCount, SH.qualifiedMaxCount):
                if (shape, SH.qualifiedValueShape, None) not in g:
                    continue  # without its shape the component has no effect (W3C node/qualified-001)
                if not is_ps:
                    self.fail(shape, f"{self.name(param)} is only allowed on a property shape (one with sh:path)")
                n = self.integer(shape, param)
                q = self.one(shape, SH.qualifiedValueShape)
                disjoint = self.g.value(shape, SH.qualifiedValueShapesDisjoint)
                siblings = []
                if isinstance(disjoint, Literal) and disjoint.toPython() is True:
                    # the qualified value shapes of the property shapes of every shape this one is a property of
                    siblings = sorted({sq for parent in g.subjects(SH.property, shape) for ps in g.objects(parent, SH.property)
                                       for sq in g.objects(ps, SH.qualifiedValueShape)} - {q}, key=str)
                focus = f"{{ SELECT DISTINCT ?g {v} WHERE {{ {vals.pattern} }} }}"
                blocks, cond = [], []
                fails = self.failing(q, focus, v)
                if fails is not None:
                    bad = self.var("bad")
                    blocks.append(f"OPTIONAL {{ {fails} BIND(true AS {bad}) }}")
                    cond.append(f"!BOUND({bad})")
                for sib in siblings:  # a value node counts only if it conforms to no sibling shape
                    sib_fails = self.failing(sib, focus, v)
                    if sib_fails is None:
                        cond.append("false")
                        continue
                    other = self.var("sib")
                    blocks.append(f"OPTIONAL {{ {sib_fails} BIND(true AS {other}) }}")
                    cond.append(f"BOUND({other})")
                counted = f"{vals.pattern} {' '.join(blocks)}" + (f" FILTER({' && '.join(cond)})" if cond else "")
                having = f"COUNT(DISTINCT {v}) {'<' if param == SH.qualifiedMinCount else '>'} {n}"
                out.append(_Branch(f"{{ SELECT ?g {f} WHERE {{ {focus_pattern} OPTIONAL {{ {counted} }} }} "
                                   f"GROUP BY ?g {f} HAVING ({having}) }}", comp, f))
            elif param == SH.closed:
                closed = self.one(shape, param)
                if not (isinstance(closed, Literal) and isinstance(closed.toPython(), bool)):
                    self.fail(shape, f"sh:closed must be true or false, not {closed}")
                if not closed.toPython():
                    continue
                allowed = {p for ps in g.objects(shape, SH.property) for p in g.objects(ps, SH.path) if isinstance(p, URIRef)}
                for lst in g.objects(shape, SH.ignoredProperties):
                    allowed |= {p for p in self.items(shape, lst) if isinstance(p, URIRef)}
                p, o = self.var("p"), self.var("o")
                not_in = f"FILTER({p} NOT IN ({', '.join(_sparql_term(a) for a in sorted(allowed))}))" if allowed else ""
                pattern = (f"{vals.pattern} GRAPH ?g {{ {v} {p} {o} }} {not_in} "
                           f"FILTER(!({p} = <{RDF.type}> && {o} = <{RDFS.Resource}>))")
                # focus: the focus node; value: the object; the triple's subject is the value node
                out.append(_Branch(pattern, comp, f, o, v if is_ps else None, None, p))
            elif param == SH.node:
                for n in sorted(g.objects(shape, param), key=str):
                    if self.is_property_shape(n):
                        self.fail(shape, f"sh:node {self.name(n)} is a property shape; sh:node takes a node shape")
                    if table:
                        row("node", n, comp)
                        continue
                    fails = self.failing(n, f"{{ SELECT DISTINCT ?g {v} WHERE {{ {vals.pattern} }} }}", v)
                    if fails is not None:
                        on_values(comp, fails, None)
            elif param == SH["and"]:
                for lst in sorted(g.objects(shape, param), key=str):
                    members = self.items(shape, lst)
                    focus = f"{{ SELECT DISTINCT ?g {v} WHERE {{ {vals.pattern} }} }}"
                    fails = [x for x in (self.failing(m, focus, v) for m in members) if x is not None]
                    if fails:
                        on_values(comp, "{ " + " UNION ".join("{ " + x + " }" for x in fails) + " }", None)
            elif param == SH["or"]:
                blocks, flags = self.member_flags(shape, param, vals)
                if None in flags:
                    continue  # a member nothing fails: every value node conforms to the sh:or
                on_values(comp, " ".join(blocks), " && ".join(f"BOUND({x})" for x in flags))
            elif param == SH.xone:
                blocks, flags = self.member_flags(shape, param, vals)
                passed = " + ".join("1" if x is None else f"IF(BOUND({x}), 0, 1)" for x in flags)
                on_values(comp, " ".join(blocks), f"({passed}) != 1")
            elif param == SH["not"]:
                for n in sorted(g.objects(shape, param), key=str):
                    fails = self.failing(n, f"{{ SELECT DISTINCT ?g {v} WHERE {{ {vals.pattern} }} }}", v)
                    if fails is None:
                        on_values(comp, "", None)
                        continue
                    flag = self.var("m")
                    on_values(comp, f"OPTIONAL {{ {fails} BIND(true AS {flag}) }}", f"!BOUND({flag})")
        # sh:property: the property shape's results, with each value node of this shape as focus
        for ps in sorted(g.objects(shape, SH.property), key=str):
            if not self.is_property_shape(ps):
                self.fail(shape, f"sh:property {self.name(ps)} has no sh:path")
            if nested:
                fails = self.failing(ps, f"{{ SELECT DISTINCT ?g {v} WHERE {{ {vals.pattern} }} }}" if is_ps else focus_pattern, v)
                if fails is not None:
                    out.append(_Branch(f"{vals.pattern} {fails}" if is_ps else fails, SH.PropertyConstraintComponent, f))
            else:
                out.extend(self._sub_results(ps, vals, is_ps))
        return out

    def _sub_results(self, ps, vals: _Values, is_ps: bool) -> list:
        """Top-level results of a property shape under sh:property (tagged with their shape)."""
        if self.deactivated(ps):
            return []
        if ps in self._stack:
            self.fail(ps, "recursive shapes are not supported by the compiled SHACL validator")
        self._stack.append(ps)
        try:
            focus = f"{{ SELECT DISTINCT ?g {vals.value} WHERE {{ {vals.pattern} }} }}" if is_ps else vals.focus_pattern
            return [b if isinstance(b, tuple) else (ps, b) for b in self.branches(ps, focus, vals.value, nested=False)]
        finally:
            self._stack.pop()

    # top level ---------------------------------------------------------------

    def spec(self, shape, branch: _Branch) -> ResultSpec:
        messages = tuple(sorted(str(m) for m in self.g.objects(shape, SH.message)))
        if not messages:
            local = str(branch.component)[len(str(SH)):]
            messages = (f"does not conform to {self.name(shape)} ({local})",)
        severity = self.g.value(shape, SH.severity) or SH.Violation
        is_ps = self.is_property_shape(shape)
        has_value = branch.value is not None
        top = self._stack[0] if self._stack else shape
        targets = set(self.g.predicates(top)) & set(TARGETS)
        preds = frozenset(self.g.objects(top, SH.targetObjectsOf)) if targets == {SH.targetObjectsOf} else None
        return ResultSpec(shape, branch.component, messages, severity,
                          self.g.value(shape, SH.path) if is_ps else None,
                          self.path_head(shape) if is_ps else None,
                          has_value, branch.witness_predicate, preds)

    def compile_shape(self, shape, focus: str) -> CompiledQuery | None:
        self._stack = [shape]
        flat = [b if isinstance(b, tuple) else (shape, b) for b in self.branches(shape, focus, "?this", nested=False)]
        if not flat:
            return None
        arms, specs, tables = [], [], {}
        for k, (owner, b) in enumerate(flat):
            specs.append(self.spec(owner, b))
            if isinstance(b, _Row):
                tables.setdefault((b.kind, b.focus_pattern, b.focus), []).append((k, b))
                continue
            proj = [f"({b.focus} AS ?this)" if b.focus != "?this" else "?this"]
            if b.value is not None:
                proj.append(f"({b.value} AS ?value)")
            if b.witness is not None:
                proj.append(f"({b.witness} AS ?ws)")
            if b.path_var is not None:
                proj.append(f"({b.path_var} AS ?rp)")
            if b.lexical is not None:
                proj.append(f"({b.lexical[0]} AS ?lx) ({b.lexical[1]} AS ?ld)")
            arms.append(f"{{ {{ SELECT ?g {' '.join(proj)} WHERE {{ {b.pattern} }} }} BIND({k} AS ?k) }}")
        for (kind, focus_pattern, f), rows in tables.items():
            if kind == "node":  # one table per node shape: its conformance is one subquery
                for n in sorted({r.param for _, r in rows}, key=str):
                    arms.append(self.table_arm(kind, focus_pattern, f, [(k, r) for k, r in rows if r.param == n]))
            else:
                arms.append(self.table_arm(kind, focus_pattern, f, rows))
        text = "SELECT ?k ?g ?this ?value ?ws ?rp ?lx ?ld WHERE {\n" + "\n UNION ".join(arms) + "\n}"
        return CompiledQuery(shape, text, tuple(specs))

    def table_arm(self, kind: str, focus_pattern: str, f: str, rows: list) -> str:
        """One branch for all rows of a kind: VALUES (?k ?tp ?tx) lists each row's index, path and
        parameter; the condition is the component's, with the parameter as ?tx."""
        this = "?this" if f == "?this" else f"({f} AS ?this)"
        value = f"GRAPH ?g {{ {f} ?tp ?tv }}"
        if kind == "node":  # the value nodes that fail the node shape (one shape per table)
            table = " ".join(f"({k} {_sparql_term(r.path)})" for k, r in rows)
            head = f"{focus_pattern} VALUES (?k ?tp) {{ {table} }}"
            fails = self.failing(rows[0][1].param, f"{{ SELECT DISTINCT ?g ?tv WHERE {{ {head} {value} }} }}", "?tv")
            if fails is None:
                return "{ FILTER(false) }"
            return f"{{ SELECT ?k ?g {this} (?tv AS ?value) WHERE {{ {head} {value} {fails} }} }}"
        table = " ".join(f"({k} {_sparql_term(r.path)} "
                         f"{r.param if isinstance(r.param, int) else _sparql_term(r.param)})" for k, r in rows)
        head = f"{focus_pattern} VALUES (?k ?tp ?tx) {{ {table} }}"
        if kind in ("minCount", "maxCount"):
            inner = f"{head} OPTIONAL {{ {value} }}" if kind == "minCount" else f"{head} {value}"
            op = "<" if kind == "minCount" else ">"
            return (f"{{ SELECT ?k ?g {this} WHERE {{ {inner} }} GROUP BY ?k ?g {f} ?tx "
                    f"HAVING (COUNT(DISTINCT ?tv) {op} ?tx) }}")
        lexical = ""
        if kind == "datatype":  # as written (an ill-typed literal has data_term's datatype)
            block, lx, dt = self.lexical("?tv", f, "?tp")
            cond = f"{block} FILTER(!(isLiteral(?tv) && {dt} = ?tx))"
            lexical = f" ({lx} AS ?lx) ({dt} AS ?ld)"
        elif kind == "class":
            cond = f"OPTIONAL {{ GRAPH ?g {{ ?tv {_TYPE_OF} ?tx }} BIND(true AS ?tok) }} FILTER(!BOUND(?tok))"
        elif kind in (">=", "<=", ">", "<"):
            cond = f"FILTER(!COALESCE(?tv {kind} ?tx, false))"
        else:  # minLength, maxLength: on the lexical form as written
            block, lx, dt = self.lexical("?tv", f, "?tp")
            op = ">=" if kind == "minLength" else "<="
            cond = f"{block} FILTER(isBlank(?tv) || !COALESCE(STRLEN({lx}) {op} ?tx, false))"
            lexical = f" ({lx} AS ?lx) ({dt} AS ?ld)"
        return f"{{ SELECT ?k ?g {this} (?tv AS ?value){lexical} WHERE {{ {head} {value} {cond} }} }}"


def shapes_of(g: Graph) -> list:
    """Every node of the shapes graph that is a shape, sorted (IRIs by name, blank nodes last)."""
    found = set(g.subjects(RDF.type, SH.NodeShape)) | set(g.subjects(RDF.type, SH.PropertyShape))
    for t in TARGETS:
        found |= set(g.subjects(t, None))
    found |= set(g.objects(None, SH.property)) | set(g.objects(None, SH.node)) | set(g.objects(None, SH["not"]))
    found |= set(g.objects(None, SH.qualifiedValueShape))
    found |= set(g.subjects(SH.path, None))
    for p in (SH["and"], SH["or"], SH.xone):
        for lst in g.objects(None, p):
            found |= set(Collection(g, lst))
    return sorted(found, key=lambda s: (isinstance(s, BNode), str(s)))


def compile_shapes(shapes_graph: Graph, runtime=None) -> CompiledShapes:
    """Compile every targeted shape to a SPARQL query; check every shape for unsupported
    components first, targeted or not, so an unsupported one is reported even when unused."""
    c = _Compiler(shapes_graph)
    for shape in shapes_of(shapes_graph):
        c.check_shape(shape)
    queries = []
    for shape in shapes_of(shapes_graph):
        if c.deactivated(shape):
            continue
        focus = c.target_pattern(shape)
        if focus is None:
            continue
        q = c.compile_shape(shape, focus)
        if q is not None:
            queries.append(q)
    return CompiledShapes(queries, shapes_graph, runtime)
