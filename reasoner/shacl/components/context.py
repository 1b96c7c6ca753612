"""What a constraint component compiles to, and the shape it compiles in: a branch of the shape's
query (or a row of a table-driven branch), the shape's value nodes, and the ShapeContext the
component modules add their branches to."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import URIRef

from ...namespaces import SH
from ..sparql_terms import sparql_term


@dataclass
class Branch:
    pattern: str
    component: URIRef
    focus: str                      # variable
    value: str | None = None        # variable of the value node
    witness: str | None = None      # variable of the subject holding the value
    witness_predicate: URIRef | None = None
    path_var: str | None = None     # variable of a dynamic result path (sh:closed)
    lexical: tuple | None = None    # variables of the value's lexical form and datatype as written


@dataclass
class Row:
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
class Values:
    """The value nodes of a shape for the focus nodes of a pattern."""

    pattern: str                    # binds ?g, the focus variable and the value variable
    focus: str
    value: str
    witness: str | None = None
    witness_predicate: URIRef | None = None
    focus_pattern: str = ""         # the focus pattern alone
    path: str | None = None         # SPARQL path (property shapes)


class ShapeContext:
    """One shape being compiled: its value nodes for a focus pattern, and the branches its
    components add (`out`). table: top-level results of a plain-property path, where simple
    components become table rows (see components.table)."""

    def __init__(self, compiler, shape, focus_pattern: str, f: str, nested: bool):
        self.compiler = compiler
        self.shape = shape
        self.g = compiler.g
        self.focus_pattern = focus_pattern
        self.f = f
        self.nested = nested
        self.vals = compiler.values(shape, focus_pattern, f)
        self.v = self.vals.value
        self.out: list = []
        self.is_ps = compiler.is_property_shape(shape)
        self.table = not nested and self.is_ps and isinstance(self.g.value(shape, SH.path), URIRef)

    def row(self, kind: str, param_value, component) -> None:
        self.out.append(Row(kind, self.focus_pattern, self.f, self.g.value(self.shape, SH.path), param_value, component))

    def lex(self, var: str) -> tuple[str, str, str]:
        """compiler.lexical() of a variable, tied to the triple holding it where that is known."""
        wp = self.vals.witness_predicate
        if var != self.v or wp is None:
            return self.compiler.lexical(var)
        return self.compiler.lexical(var, self.vals.witness or self.f, sparql_term(wp))

    def on_values(self, component, condition_blocks: str, filt: str | None, lexical: tuple | None = None) -> None:
        """A branch over the value nodes: those matching condition_blocks and failing filt."""
        vals = self.vals
        pattern = f"{vals.pattern} {condition_blocks}" + (f" FILTER({filt})" if filt else "")
        self.out.append(Branch(pattern, component, self.f, self.v, vals.witness, vals.witness_predicate, lexical=lexical))
