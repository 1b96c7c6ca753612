"""Write results as JSON, JSON Lines, Turtle or JSON-LD, byte-identical for the same input.

Result graphs have no blank nodes (rules mint IRIs, intake names blank nodes by path), so a sorted
serialisation is canonical; the RDF forms are written with rdflib's sorted Turtle and JSON-LD
serialisers and tested for byte-identity across processes.
"""

from __future__ import annotations

import json

from rdflib import Graph

from ..namespaces import PREFIXES


def bind_prefixes(g: Graph) -> Graph:
    for p, iri in PREFIXES.items():
        g.bind(p, iri, override=True)
    return g


def merge(graphs) -> Graph:
    out = Graph()
    for g in graphs:
        out += g
    return bind_prefixes(out)


def _sorted_sets(value, in_list: bool = False):
    """JSON-LD arrays are sets except under @list: sort them so the bytes never depend on hashing."""
    if isinstance(value, dict):
        return {k: _sorted_sets(v, k == "@list") for k, v in value.items()}
    if isinstance(value, list):
        items = [_sorted_sets(v) for v in value]
        return items if in_list else sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return value


def graph_text(g: Graph, fmt: str) -> str:
    bind_prefixes(g)
    if fmt == "turtle":
        return g.serialize(format="longturtle")
    if fmt == "jsonld":
        ctx = {p: iri for p, iri in sorted(PREFIXES.items())}
        data = _sorted_sets(json.loads(g.serialize(format="json-ld", context=ctx, auto_compact=True)))
        return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    raise ValueError(f"unknown RDF format {fmt!r}")
