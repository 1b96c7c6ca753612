"""The kinds of conclusion and how a result shows them, read from the knowledge base.

ontology/results.ttl declares, on each conclusion class, the JSON key that lists its conclusions,
the property naming each conclusion's value, the JSON item key of that value, the key's order, and
whether the JSON holds one object (urgency) or a list. The JSON view, the run manifest's summary,
the rule test manifests, `dorsum diff` and `dorsum explain` all read this one declaration, so a new
kind of conclusion is data: a class with these annotations and a rule that concludes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from ..namespaces import DORSUM, SH


@dataclass(frozen=True)
class ConclusionKind:
    cls: URIRef
    report_label: str              # what the proof tree of `dorsum explain` calls it
    value: URIRef | None           # the property naming the conclusion's value
    json_key: str | None = None    # None: a premise, shown only in the proof
    item_key: str | None = None    # the item key holding the value's slug (or JSON path)
    order: int | None = None
    single: bool = False           # one object (the highest ranked), not a list
    ranked_by: URIRef | None = None
    timed: bool = False            # items show within_days; a change of within_days or strength counts
    named_by_path: bool = False    # the value is an input property, named by its JSON path, with why
    test_property: URIRef | None = None

    @property
    def attrs(self) -> tuple:
        """The item attributes whose change `dorsum diff` counts as a change of the item."""
        return ("within_days", "strength") if self.timed else ()


def _flag(g: Graph, cls, prop) -> bool:
    v = g.value(cls, prop)
    return bool(v.toPython()) if isinstance(v, Literal) else False


def read_kinds(g: Graph) -> tuple[ConclusionKind, ...]:
    """Every class with a dorsum:reportLabel: those shown in the JSON first, in their order, then
    the premises by IRI."""
    out = []
    for cls in set(g.subjects(DORSUM.reportLabel, None)):
        if not isinstance(cls, URIRef):
            continue
        key, order = g.value(cls, DORSUM.jsonKey), g.value(cls, DORSUM.jsonOrder)
        out.append(ConclusionKind(
            cls=cls,
            report_label=str(g.value(cls, DORSUM.reportLabel)),
            value=g.value(cls, DORSUM.conclusionValue),
            json_key=str(key) if key is not None else None,
            item_key=str(g.value(cls, DORSUM.jsonItemKey)) if key is not None else None,
            order=int(order) if order is not None else None,
            single=_flag(g, cls, DORSUM.jsonSingle),
            ranked_by=g.value(cls, DORSUM.jsonRankedBy),
            timed=_flag(g, cls, DORSUM.jsonTimed),
            named_by_path=_flag(g, cls, DORSUM.jsonNamedByPath),
            test_property=g.value(cls, DORSUM.testProperty),
        ))
    return tuple(sorted(out, key=lambda k: (k.json_key is None, k.order or 0, str(k.cls))))


class ResultKinds:
    """The declared kinds of one knowledge base."""

    def __init__(self, kinds: tuple[ConclusionKind, ...]):
        self.all = kinds
        self.shown = tuple(k for k in kinds if k.json_key is not None)   # in JSON order
        self.lists = tuple(k for k in self.shown if not k.single)
        self.keys = tuple(k.json_key for k in self.shown)

    @classmethod
    def of_graph(cls, g: Graph) -> "ResultKinds":
        return cls(read_kinds(g))

    def by_key(self, key: str) -> ConclusionKind:
        return next(k for k in self.shown if k.json_key == key)



def value_shapes(kinds: ResultKinds) -> Graph:
    """The result shapes the declaration implies: a conclusion of a kind the result shows names
    exactly one value (the JSON item is named by it)."""
    g = Graph()
    for k in kinds.shown:
        if k.value is None:
            continue
        shape, prop = URIRef(f"{k.cls}-value-shape"), URIRef(f"{k.cls}-value-shape-property")
        g.add((shape, RDF.type, SH.NodeShape))
        g.add((shape, SH.targetClass, k.cls))
        g.add((shape, SH.property, prop))
        g.add((prop, SH.path, k.value))
        g.add((prop, SH.minCount, Literal(1, datatype=XSD.integer)))
        g.add((prop, SH.maxCount, Literal(1, datatype=XSD.integer)))
        g.add((prop, SH.message, Literal(f"a conclusion of kind '{k.json_key}' names exactly one {k.value}")))
    return g
