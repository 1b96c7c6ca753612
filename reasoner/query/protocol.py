"""SPARQL 1.1 Protocol details that do not depend on a web framework: content negotiation by query
form and Accept q-values (plus the `format`/`output` parameters some clients send), and writing
result rows in the standard result formats. Refusing updates and federation is sparql_safety's,
decided on the parsed query where the query runs. Here, not in serve, because the query workers
write each answer in its negotiated format where the query runs; the endpoint only sends it."""

from __future__ import annotations

import json

import pyoxigraph as ox

# media type -> (pyoxigraph format, canonical media type); the first entry of each map is the default
RESULT_TYPES = {
    "application/sparql-results+json": ("json", "application/sparql-results+json"),
    "application/json": ("json", "application/sparql-results+json"),
    "application/sparql-results+xml": ("xml", "application/sparql-results+xml"),
    "application/xml": ("xml", "application/sparql-results+xml"),
    "text/xml": ("xml", "application/sparql-results+xml"),
    "text/csv": ("csv", "text/csv"),
    "text/tab-separated-values": ("tsv", "text/tab-separated-values"),
}
GRAPH_TYPES = {
    "text/turtle": ("turtle", "text/turtle"),
    "application/x-turtle": ("turtle", "text/turtle"),
    "application/turtle": ("turtle", "text/turtle"),
    "text/n3": ("turtle", "text/turtle"),  # Turtle is valid N3
    "text/rdf+n3": ("turtle", "text/turtle"),
    "application/n3": ("turtle", "text/turtle"),
    "application/n-triples": ("ntriples", "application/n-triples"),
    "text/plain": ("ntriples", "application/n-triples"),
    "application/ld+json": ("jsonld", "application/ld+json"),
    "application/rdf+xml": ("rdfxml", "application/rdf+xml"),
}
# values of the `format` / `output` parameters (e.g. YASGUI, SPARQLWrapper, Virtuoso-style clients)
FORMAT_ALIASES = {
    "json": ("application/sparql-results+json", "application/ld+json"),
    "xml": ("application/sparql-results+xml", "application/rdf+xml"),
    "csv": ("text/csv", None), "tsv": ("text/tab-separated-values", None),
    "turtle": (None, "text/turtle"), "ttl": (None, "text/turtle"), "n3": (None, "text/turtle"),
    "nt": (None, "application/n-triples"), "ntriples": (None, "application/n-triples"), "n-triples": (None, "application/n-triples"),
    "jsonld": (None, "application/ld+json"), "json-ld": (None, "application/ld+json"),
    "application/x-json+ld": (None, "application/ld+json"),
    "rdfxml": (None, "application/rdf+xml"), "rdf": (None, "application/rdf+xml"),
}

RESULTS_FORMATS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
                   "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}
GRAPH_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
                 "jsonld": ox.RdfFormat.JSON_LD, "rdfxml": ox.RdfFormat.RDF_XML}


class NotAcceptable(ValueError):
    """No media type the client accepts fits the query form."""


def parse_accept(header: str | None) -> list[tuple[str, float, int]]:
    """[(media range, q, position)] from an Accept header; q=0 ranges are dropped."""
    out = []
    for i, part in enumerate((header or "*/*").split(",")):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if not media:
            continue
        q = 1.0
        for p in pieces[1:]:
            if p.lower().startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        if q > 0:
            out.append((media, q, i))
    return out or [("*/*", 1.0, 0)]


def negotiate(kind: str, accept: str | None, fmt_param=None) -> tuple[str, str]:
    """(format key, media type) for a result of `kind` ("results" for SELECT/ASK, "graph" for
    CONSTRUCT/DESCRIBE). `format`/`output` parameter values (a short name such as json or turtle,
    or media types) win over Accept when one of them fits the query form."""
    table = RESULT_TYPES if kind == "results" else GRAPH_TYPES
    values = [fmt_param] if isinstance(fmt_param, str) else list(fmt_param or [])
    for value in (v.strip().lower() for v in values if v and v.strip()):
        if "/" in value:
            try:
                return _from_accept(table, value)
            except NotAcceptable:
                continue
        if value in table:
            return table[value]
        alias = FORMAT_ALIASES.get(value)
        chosen = alias and (alias[0] if kind == "results" else alias[1])
        if chosen:
            return table[chosen]
    return _from_accept(table, accept)


def _from_accept(table: dict, accept: str | None) -> tuple[str, str]:
    ranges = sorted(parse_accept(accept), key=lambda r: (-r[1], -_specificity(r[0]), r[2]))
    for media, _q, _pos in ranges:
        if media in table:
            return table[media]
        if media == "*/*" or media.endswith("/*"):
            major = media.split("/")[0]
            for candidate, value in table.items():
                if media == "*/*" or candidate.startswith(major + "/"):
                    return value
    raise NotAcceptable("none of the accepted media types fits this query form; available: "
                        + ", ".join(sorted(set(v[1] for v in table.values()))))


def _specificity(media: str) -> int:
    return 0 if media == "*/*" else 1 if media.endswith("/*") else 2


def term_json(t) -> dict:
    if isinstance(t, ox.NamedNode):
        return {"type": "uri", "value": t.value}
    if isinstance(t, ox.BlankNode):
        return {"type": "bnode", "value": t.value}
    if isinstance(t, ox.Literal):
        d = {"type": "literal", "value": t.value}
        if t.language:
            d["xml:lang"] = t.language
        elif t.datatype and t.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            d["datatype"] = t.datatype.value
        return d
    return {"type": "literal", "value": str(t)}


def rows_json(variables: list[str], rows: list) -> bytes:
    bindings = [{v: term_json(row[v]) for v in variables if row[v] is not None} for row in rows]
    return json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}}, ensure_ascii=False).encode("utf-8")


def serialize_rows(variables: list[str], rows: list, fmt: str) -> bytes:
    data = rows_json(variables, rows)
    if fmt == "json":
        return data
    parsed = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
    return parsed.serialize(format=RESULTS_FORMATS[fmt])


def serialize_boolean(value: bool, fmt: str) -> bytes:
    data = json.dumps({"head": {}, "boolean": bool(value)}).encode()
    if fmt == "json":
        return data
    if fmt in ("csv", "tsv"):
        return (("true" if value else "false") + "\n").encode()
    return ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON).serialize(format=RESULTS_FORMATS[fmt])


def serialize_triples(triples: list, fmt: str) -> bytes:
    return ox.serialize(triples, format=GRAPH_FORMATS[fmt])
