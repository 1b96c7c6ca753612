"""What intake does to every case graph it reads, flat JSON or RDF: blank nodes named by their path
from the case (so the same input always gives byte-identical output), and rdflib's warnings about
ill-typed literals kept quiet while a case is read (the case shapes report them, naming the key)."""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager

from rdflib import BNode, Graph, URIRef


_quiet = threading.local()


class _IllTypedLiterals(logging.Filter):
    """rdflib logs a warning with a traceback for each literal whose text does not fit its datatype
    (a date "2024-13-45"). While a flat case is read on this thread that is input we report
    ourselves (every typed key of the context has a sh:datatype shape, which names the key and the
    value), so the warning is dropped then; at any other time it passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (getattr(_quiet, "depth", 0) and record.funcName == "_castLexicalToPython")


logging.getLogger("rdflib.term").addFilter(_IllTypedLiterals())


@contextmanager
def ill_typed_literals_reported():
    """Within this block, on this thread, rdflib's ill-typed literal warnings are not logged."""
    _quiet.depth = getattr(_quiet, "depth", 0) + 1
    try:
        yield
    finally:
        _quiet.depth -= 1


def skolemize(graph: Graph, root: URIRef) -> Graph:
    """Name every blank node by its path from the case (case/lump, case/skinMarkers/rest, ...),
    so the same input always gives the same IRIs and byte-identical output."""
    out = Graph()
    names: dict = {root: root}
    todo = [root]
    while todo:
        node = todo.pop(0)
        by_pred: dict = {}
        for p, o in sorted(graph.predicate_objects(node), key=lambda po: (str(po[0]), isinstance(po[1], BNode), str(po[1]))):
            if isinstance(o, BNode):
                by_pred.setdefault(p, []).append(o)
                continue
            out.add((names[node], p, o))
            if isinstance(o, URIRef) and o not in names and (o, None, None) in graph:
                names[o] = o  # a node named by an IRI (RDF input): keep its name, follow its triples
                todo.append(o)
        for p, bnodes in by_pred.items():
            local = str(p).rsplit("/", 1)[-1].rsplit("#", 1)[-1]
            ordered = sorted(bnodes, key=lambda b: sorted((str(q), "" if isinstance(v, BNode) else str(v))
                                                         for q, v in graph.predicate_objects(b)))
            for i, b in enumerate(ordered):
                if b not in names:
                    names[b] = URIRef(f"{names[node]}/{local}" + (f"-{i + 1}" if len(ordered) > 1 else ""))
                    todo.append(b)
                out.add((names[node], p, names[b]))
    return out
