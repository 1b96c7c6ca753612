"""Case isolation: what an RDF case may describe. A case describes only its own nodes (the case
IRI, and the blank nodes and IRIs under it that the case vocabulary reaches), never the knowledge
base or another case, and types only itself; everything beyond is an error on that case, so no
rule ever sees one case's input reaching into another's or into the knowledge base."""

from __future__ import annotations

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF

from ..namespaces import DORSUM
from .case_input import case_iri
from .context import CaseContext
from .problems import error


def case_vocabulary(ctx: CaseContext | None) -> dict | None:
    """The case vocabulary: every property IRI the shipped context maps a key to (the properties
    with a dorsum:jsonPath) -> that key, and rdf:first and rdf:rest of lists -> ""; None without a
    context."""
    if ctx is None:
        return None
    prefixes = {k: v for k, v in ctx.context.items() if isinstance(v, str) and not k.startswith("@")}
    out = {RDF.first: "", RDF.rest: ""}

    def walk(c: dict) -> None:
        for key, val in c.items():
            if key.startswith("@") or not isinstance(val, dict):
                continue
            iri = val.get("@id")
            if isinstance(iri, str):
                pre, sep, local = iri.partition(":")
                out.setdefault(URIRef(prefixes[pre] + local if sep and pre in prefixes else iri), key)
            if isinstance(val.get("@context"), dict):
                walk(val["@context"])
    walk(ctx.context)
    return out


# a case node may carry no rdf:type but this one, on the case node itself: every other class (age
# groups, conclusions, risk factors, ...) is the engine's to derive, never the input's to assert
CASE_TYPES = frozenset({DORSUM.Case})
MAX_ISOLATION_ERRORS = 20


def shown_term(term) -> str:
    """A term as an error message shows it: N3, and a blank node as [] (its label is arbitrary)."""
    return "[]" if isinstance(term, BNode) else term.n3()


def _local(p) -> str:
    return str(p).rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def case_nodes(graph: Graph, case: URIRef, vocab: dict | None) -> dict:
    """A case's own nodes -> the path that reaches them (shortest, then least): the case IRI, and
    the blank nodes and IRIs under `<case>/` that it reaches through the case vocabulary. An IRI
    anywhere else (a knowledge-base term, another case or its nodes) is never a node of this case,
    whatever the IRI's spelling shares with the case's."""
    under = str(case) + "/"
    paths = {case: ""}
    level = [case]
    while level:
        found: dict = {}
        for node in level:
            for p, o in graph.predicate_objects(node):
                if o in paths or (vocab is not None and p not in vocab):
                    continue
                if not (isinstance(o, BNode) or (isinstance(o, URIRef) and str(o).startswith(under)
                                                 and (o, RDF.type, DORSUM.Case) not in graph)):
                    continue
                step = "" if p in (RDF.first, RDF.rest) else vocab[p] if vocab is not None else _local(p)
                path = ".".join(x for x in (paths[node], step) if x)
                if o not in found or (len(path), path) < (len(found[o]), found[o]):
                    found[o] = path
        paths.update(found)
        level = sorted(found, key=lambda n: (found[n], str(n)))
    return paths


def isolation_errors(graph: Graph, case: URIRef, case_id: str, sub: Graph, vocab: dict | None) -> list[dict]:
    """What makes a case's input reach beyond the case (sorted; [] when it describes only itself):
    a case IRI in the dorsum namespace other than its own case IRI, a triple about a node that is
    not the case's own (see case_nodes), and an rdf:type the engine derives."""
    errs = []
    if str(case).startswith(str(DORSUM)) and (not case_id or str(case) != case_iri(case_id)):
        errs.append(error("id", str(case), f"a case named in the dorsum namespace must be named {case_iri(case_id or '<id>')} "
                                           "(https://w3id.org/dorsum/case/ and its own id); other IRIs there are the knowledge base's"))
    nodes = case_nodes(graph, case, vocab)
    rows = []

    for s, p, o in sub:
        if s not in nodes:
            rows.append((shown_term(s), str(p), shown_term(o), error("", f"{shown_term(s)} {p.n3()} {shown_term(o)}",
                         f"a triple about {shown_term(s)}, which is not a node of this case: a case may describe only itself and "
                         f"the blank nodes or IRIs under <{case}/> it reaches through the case vocabulary, never the "
                         "knowledge base or another case")))
        elif p == RDF.type and not (s == case and o in CASE_TYPES):
            where = nodes[s]
            rows.append((where, str(p), shown_term(o), error(where, shown_term(o),
                         f"rdf:type {shown_term(o)} on "
                         f"{'the case' if s == case else where}: the input may type only the case node, as dorsum:Case; "
                         "age groups, conclusions and risk factors are derived, never asserted")))
    unique = {(r[0], r[1], r[2], r[3]["path"]): r[3] for r in rows}
    rows = [unique[k] for k in sorted(unique)]
    errs += rows[:MAX_ISOLATION_ERRORS]
    if len(rows) > MAX_ISOLATION_ERRORS:
        errs.append(error("", None, f"and {len(rows) - MAX_ISOLATION_ERRORS} more triple(s) like these"))
    return errs
