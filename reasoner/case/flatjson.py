"""A fast reader of the flat case form, driven by the shipped JSON-LD context.

The flat form is JSON-LD under context/case.context.jsonld, and rdflib's JSON-LD parser is the
reference reader (flat.flat_case falls back to it). Parsing JSON-LD in full is most of the intake
time of a large load; the flat form uses a small part of JSON-LD (terms
with an @id, @type @vocab with a scoped @vocab, a datatype, @list and @set containers,
property-scoped contexts), so this module compiles the context once and writes the same triples
directly, with the blank nodes already named by path as graphs.skolemize names them. Anything
outside that part (a value JSON-LD would read as an IRI or a term, an object where a value
belongs, a typed term given a number, an array of objects) returns None and the case takes the
JSON-LD path. tests/test_flatjson.py checks that both readers give the same graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from ..namespaces import DORSUM


@dataclass
class Term:
    iri: URIRef
    local: str                      # last segment of the property IRI: names the nested node
    vocab: str | None = None        # "@type": "@vocab" with a scoped @vocab
    datatype: URIRef | None = None  # "@type": a datatype
    container: str | None = None    # "@list" or "@set"
    scoped: dict = field(default_factory=dict)  # property-scoped term definitions


class Unsupported(Exception):
    """The value needs full JSON-LD processing."""


def _expand(value: str, prefixes: dict) -> str:
    pre, sep, local = value.partition(":")
    return prefixes[pre] + local if sep and pre in prefixes else value


def compile_context(ctx: dict) -> dict[str, Term] | None:
    """Term name -> Term, or None when the context uses a feature this reader does not know."""
    prefixes = {k: v for k, v in ctx.items() if isinstance(v, str) and not k.startswith("@")}

    def terms(c: dict) -> dict[str, Term]:
        out = {}
        for key, d in c.items():
            if key.startswith("@") or isinstance(d, str):
                continue
            if not isinstance(d, dict) or "@id" not in d or set(d) - {"@id", "@type", "@context", "@container"}:
                raise Unsupported(key)
            iri = URIRef(_expand(d["@id"], prefixes))
            t = Term(iri, str(iri).rsplit("/", 1)[-1].rsplit("#", 1)[-1], container=d.get("@container"))
            scoped = d.get("@context", {})
            if d.get("@type") == "@vocab":
                if set(scoped) != {"@vocab"}:
                    raise Unsupported(key)
                t.vocab = scoped["@vocab"]
            elif "@type" in d:
                t.datatype = URIRef(_expand(d["@type"], prefixes))
                if scoped:
                    raise Unsupported(key)
            elif scoped:
                t.scoped = terms(scoped)
            if t.container not in (None, "@list", "@set"):
                raise Unsupported(key)
            out[key] = t
        return out

    try:
        return terms(ctx)
    except Unsupported:
        return None


def case_graph(obj: dict, iri: str, terms: dict[str, Term]) -> Graph | None:
    """The case graph of one flat case (already checked for unknown keys), or None."""
    triples: list = []
    case = URIRef(iri)
    triples.append((case, RDF.type, DORSUM.Case))
    try:
        _node(case, obj, terms, triples)
    except Unsupported:
        return None
    # rdflib's SimpleMemory store: a case graph has no named graphs, so the default Memory store's
    # context bookkeeping and events would only slow building it
    g = Graph(store="SimpleMemory")
    for t in triples:
        g.add(t)
    return g


def _node(subject: URIRef, obj: dict, terms: dict[str, Term], out: list) -> None:
    for key, value in obj.items():
        t = terms.get(key)
        if t is None:
            raise Unsupported(key)
        if value is None:
            raise Unsupported(key)  # rdflib reads a null @list as rdf:nil; let JSON-LD decide
        if isinstance(value, list):
            if t.container == "@list":
                _list(subject, t, value, terms, out)
                continue
            if any(isinstance(v, (dict, list)) for v in value):
                raise Unsupported(key)  # several nested nodes: their names depend on their content
            for v in value:
                out.append((subject, t.iri, _value(t, v, terms)))
            continue
        if isinstance(value, dict):
            if t.vocab or t.datatype or t.container == "@list":
                raise Unsupported(key)
            child = URIRef(f"{subject}/{t.local}")
            out.append((subject, t.iri, child))
            _node(child, value, {**terms, **t.scoped}, out)
            continue
        if t.container == "@list":
            _list(subject, t, [value], terms, out)
            continue
        out.append((subject, t.iri, _value(t, value, terms)))


def _list(subject: URIRef, t: Term, items: list, terms: dict, out: list) -> None:
    if not items:
        out.append((subject, t.iri, RDF.nil))
        return
    node = URIRef(f"{subject}/{t.local}")
    out.append((subject, t.iri, node))
    for i, v in enumerate(items):
        if isinstance(v, (dict, list)) or v is None:
            raise Unsupported(t.local)
        out.append((node, RDF.first, _value(t, v, terms)))
        nxt = URIRef(f"{node}/rest") if i + 1 < len(items) else RDF.nil
        out.append((node, RDF.rest, nxt))
        node = nxt


def _value(t: Term, v, terms: dict):
    if isinstance(v, str):
        if t.vocab is not None:
            # JSON-LD reads a string that is a term, a compact or absolute IRI, or a keyword as
            # that IRI, not as a slug under @vocab
            if not v or ":" in v or v.startswith("@") or v in terms or "/" in v or "#" in v or "?" in v:
                raise Unsupported(v)
            return URIRef(t.vocab + v)
        return Literal(v, datatype=t.datatype) if t.datatype is not None else Literal(v)
    if t.vocab is not None or t.datatype is not None:
        raise Unsupported(repr(v))  # a typed term given a number or a boolean
    if isinstance(v, (bool, int, float)):
        return Literal(v)
    raise Unsupported(repr(v))  # None and anything else
