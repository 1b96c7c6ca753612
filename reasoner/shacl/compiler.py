"""SHACL Core shapes compiled to SPARQL, run over many data graphs at once in Oxigraph.

`compile_shapes(shapes_graph)` turns every targeted shape of a shapes graph into one SPARQL SELECT
query (a UNION with one branch per constraint component, property shapes included), following the
SHACL specification's definition of each component: its focus nodes, value nodes, and when a
value node or focus node fails. `CompiledShapes.validate(graphs)` loads the data graphs into one
in-memory Oxigraph store, each in its own named graph (so a focus node always maps back to its
data graph), runs the queries once and returns, per data graph, the validation results a SHACL
processor reports: focus node, result path, value, messages, severity, source shape and component.
The compiler walks the shapes and dispatches on each component parameter to the module of its
group under components/ (the way pySHACL lays out its constraints); compiled.py runs the queries.

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

How literals are kept as the data graph writes them: see compiled.py.
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

from itertools import count

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

from ..namespaces import PREFIXES, SH
from .compiled import CompiledQuery, CompiledShapes, ResultSpec
from .components import COMPONENTS, HANDLERS
from .components.context import Branch, Row, ShapeContext, Values
from .components.table import table_arm
from .sparql_terms import (DATA_GRAPH, GRAPHS_GRAPH, LEX_D, LEX_G, LEX_GRAPH, LEX_L, LEX_P, LEX_S, LEX_V, TYPE_OF,
                           ShapeCompileError, sparql_term)

TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
# sh: predicates of a shape that are not constraint components (they describe, target or wire it)
NOT_COMPONENTS = {SH.path, SH.message, SH.severity, SH.deactivated, SH.name, SH.description, SH.order,
                  SH.group, SH.defaultValue, SH.ignoredProperties, SH.flags, SH.qualifiedValueShape,
                  SH.qualifiedValueShapesDisjoint, *TARGETS}


class _Compiler:
    """Walks a shapes graph and builds each targeted shape's query; a component's own SPARQL is in components/."""

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
                             "support it in reasoner/shacl/components/ or express the constraint with supported "
                             "components (listed in reasoner/shacl/compiler.py's docstring)")
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
            return sparql_term(p)
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
        tie = f" . {e} <{LEX_S}> {ws} . {e} <{LEX_P}> {wp}" if ws is not None and wp is not None else ""
        return (f"OPTIONAL {{ GRAPH <{LEX_GRAPH}> {{ {e} <{LEX_G}> ?g . {e} <{LEX_V}> {v} . {e} <{LEX_L}> {lx0} . "
                f"{e} <{LEX_D}> {dt0}{tie} }} }} "
                f"BIND(COALESCE({lx0}, STR({v})) AS {lx}) BIND(COALESCE({dt0}, DATATYPE({v})) AS {dt})"), lx, dt

    # focus and value nodes ---------------------------------------------------

    def target_pattern(self, shape) -> str | None:
        """Focus nodes of a shape's targets, bound to ?g and ?this."""
        parts = []
        for c in sorted(self.g.objects(shape, SH.targetClass), key=str):
            parts.append(f"GRAPH ?g {{ ?this {TYPE_OF} {sparql_term(c)} }}")
        if (shape, RDF.type, RDFS.Class) in self.g and isinstance(shape, URIRef):  # an implicit class target
            parts.append(f"GRAPH ?g {{ ?this {TYPE_OF} {sparql_term(shape)} }}")
        for n in sorted(self.g.objects(shape, SH.targetNode), key=str):
            parts.append(f"GRAPH <{GRAPHS_GRAPH}> {{ ?g a <{DATA_GRAPH}> }} BIND({sparql_term(n)} AS ?this)")
        for p in sorted(self.g.objects(shape, SH.targetSubjectsOf), key=str):
            parts.append(f"GRAPH ?g {{ ?this {sparql_term(p)} ?x }}")
        for p in sorted(self.g.objects(shape, SH.targetObjectsOf), key=str):
            parts.append(f"GRAPH ?g {{ ?x {sparql_term(p)} ?this }}")
        if not parts:
            return None
        return "{ SELECT DISTINCT ?g ?this WHERE { " + " UNION ".join("{ " + p + " }" for p in parts) + " } }"

    def values(self, shape, focus_pattern: str, f: str) -> Values:
        if not self.is_property_shape(shape):
            return Values(focus_pattern, f, f, focus_pattern=focus_pattern)
        path = self.g.value(shape, SH.path)
        sp = self.sparql_path(path)
        v = self.var("v")
        if isinstance(path, URIRef):
            return Values(f"{focus_pattern} GRAPH ?g {{ {f} {sp} {v} }}", f, v, None, path, focus_pattern, sp)
        steps = list(Collection(self.g, path)) if (path, RDF.first, None) in self.g else []
        if steps and isinstance(steps[-1], URIRef):
            ws = self.var("ws")
            prefix = self.sparql_path(steps[0]) if len(steps) == 2 else "(" + " / ".join(self.sparql_path(s) for s in steps[:-1]) + ")"
            return Values(f"{focus_pattern} GRAPH ?g {{ {f} {prefix} {ws} . {ws} {sparql_term(steps[-1])} {v} }}",
                           f, v, ws, steps[-1], focus_pattern, sp)
        return Values(f"{focus_pattern} GRAPH ?g {{ {f} {sp} {v} }}", f, v, None, None, focus_pattern, sp)

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

    # constraint components (one module a group, see components) ----------

    def branches(self, shape, focus_pattern: str, f: str, nested: bool) -> list[Branch]:
        """One branch per constraint component of shape (and, through sh:property, of its property
        shapes), each a pattern binding ?g, the focus variable and what the result reports."""
        if self.deactivated(shape):
            return []
        self.check_shape(shape)
        s = ShapeContext(self, shape, focus_pattern, f, nested)
        for param in sorted(set(self.g.predicates(shape)), key=str):
            comp = COMPONENTS.get(param)
            if comp is not None and param != SH.property:
                HANDLERS[param](self, s, param, comp)
        g, v, vals, out, is_ps = self.g, s.v, s.vals, s.out, s.is_ps
        # sh:property: the property shape's results, with each value node of this shape as focus
        for ps in sorted(g.objects(shape, SH.property), key=str):
            if not self.is_property_shape(ps):
                self.fail(shape, f"sh:property {self.name(ps)} has no sh:path")
            if nested:
                fails = self.failing(ps, f"{{ SELECT DISTINCT ?g {v} WHERE {{ {vals.pattern} }} }}" if is_ps else focus_pattern, v)
                if fails is not None:
                    out.append(Branch(f"{vals.pattern} {fails}" if is_ps else fails, SH.PropertyConstraintComponent, f))
            else:
                out.extend(self._sub_results(ps, vals, is_ps))
        return out

    def _sub_results(self, ps, vals: Values, is_ps: bool) -> list:
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

    def spec(self, shape, branch: Branch) -> ResultSpec:
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
            if isinstance(b, Row):
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
                    arms.append(table_arm(self, kind, focus_pattern, f, [(k, r) for k, r in rows if r.param == n]))
            else:
                arms.append(table_arm(self, kind, focus_pattern, f, rows))
        text = "SELECT ?k ?g ?this ?value ?ws ?rp ?lx ?ld WHERE {\n" + "\n UNION ".join(arms) + "\n}"
        return CompiledQuery(shape, text, tuple(specs))


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
