"""What a SPARQL query may do, decided on the parsed query before any engine runs it. A module of
its own, beside the subsystems, because the knowledge base's queries and the store's queries (the
endpoint, `dorsum query`) go through the same check.

dorsum never makes outbound requests, and both engines it uses would: Oxigraph sends a POST for a
`SERVICE <iri> {...}` (to an address of the query's choosing) and merges the reply; rdflib does
the same when it evaluates one. So every query dorsum runs from outside its own code -- the
endpoint's, `dorsum query`'s, and the knowledge base's rules, inference steps, QA checks and saved
queries -- is refused if a SERVICE clause occurs anywhere in it (subqueries, OPTIONAL, UNION,
EXISTS included). The decision is made on rdflib's parse tree, the tree rdflib's SPARQL algebra
is built from, never on the text with regular expressions (a regular expression can be fooled by
`FILTER(1<2)SERVICE:x{...}FILTER(3>2)`, and the one used before was quadratic).

Two parsers must then agree on where SERVICE is: the one that checks (rdflib) and the one that
runs the query (Oxigraph, for the endpoint and `dorsum query`). They read the same text alike
except in two places, which `normalise` removes before either sees the text: rdflib replaces
\\uXXXX / \\UXXXXXXXX codepoint escapes everywhere before parsing (as SPARQL says), Oxigraph only
inside strings and IRIs; rdflib ends a comment at LF only, Oxigraph at CR too. The engines run the
normalised text, exactly what was checked. A query rdflib cannot parse (a syntax error, or syntax
only Oxigraph reads) is refused when the word "service" occurs anywhere in it, in any case.

All of this is linear in the query's length or is a parse, and a parse runs where the query runs:
in the endpoint's worker processes (killed at the time limit), never on the server's event loop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import DorsumError

# a codepoint escape as SPARQL defines it, and as rdflib's own expansion matches it (case-blind,
# 4 or 8 hex digits: "\U0041" too), which must find nothing in a normalised text
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_RDFLIB_ESCAPE = re.compile(r"\\u[0-9a-f]{4}", re.I)
_LINE_END = re.compile(r"\r\n?")
_SERVICE_WORD = re.compile(r"service", re.I)  # Unicode case-blind: also matches a long s (U+017F) and the like
_FROM_WORD = re.compile(r"\bfrom\b", re.I | re.A)
_QUERY_FORMS = ("SelectQuery", "ConstructQuery", "AskQuery", "DescribeQuery")

CHECK_VERSION = "service-check-v1"  # bump when the verdict for a given text can change


class QueryRefused(DorsumError):
    """A query dorsum will not run; `status` is the HTTP status the endpoint answers with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def service_refused(who: str = "dorsum") -> str:
    return f"SERVICE (federated query) is disabled: {who} never makes outbound requests"


def read_only(who: str = "this endpoint") -> str:
    return f"{who} is read-only: SPARQL Update is not accepted"


@dataclass(frozen=True)
class CheckedQuery:
    """A query that may run: `text` is what to run (normalised, exactly what was checked);
    `dataset` says whether it names its own dataset (FROM / FROM NAMED); `from_graphs` and
    `from_named` are those IRIs, resolved and each once, when the check could read them (None when
    the query could not be parsed: Oxigraph then reads its own FROM)."""

    text: str
    dataset: bool
    from_graphs: tuple[str, ...] | None = None
    from_named: tuple[str, ...] | None = None


def normalise(text: str) -> str:
    """The text with codepoint escapes replaced by their characters and CR / CRLF line ends made LF,
    so rdflib and Oxigraph read it alike (see the module docstring). Raises QueryRefused for an
    escape of no character, or one whose result spells another escape (rdflib would expand it once
    more, and the engines would read different text)."""
    if "\\" in text:
        found = []

        def char(m: re.Match) -> str:
            code = int(m.group(1) or m.group(2), 16)
            if code > 0x10FFFF:
                raise QueryRefused(f"the escape {m.group(0)} is no Unicode character")
            found.append(code)
            return chr(code)

        text = _ESCAPE.sub(char, text)
        if any(0xD800 <= c <= 0xDFFF for c in found):  # UTF-16 surrogate pairs, as some clients write them
            try:
                text = text.encode("utf-16", "surrogatepass").decode("utf-16")
            except UnicodeDecodeError:
                raise QueryRefused("the query has a \\u escape of half a surrogate pair, which is no character") from None
        if _RDFLIB_ESCAPE.search(text):
            raise QueryRefused("the query has a malformed codepoint escape (\\U takes 8 hex digits), or a \\u escape "
                               "whose character makes another escape (as \\u005Cu0041 does): write the character itself")
    if "\r" in text:
        text = _LINE_END.sub("\n", text)
    return text


def _parse(text: str):
    """rdflib's parse tree of a query, or the exception that stopped it."""
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        return parseQuery(text)
    except RecursionError as exc:
        return ValueError(f"nested too deeply for the check ({exc})")
    except Exception as exc:  # noqa: BLE001 - pyparsing raises several types; all mean "not read"
        return exc


def _nodes(tree):
    """Every CompValue of a parse tree (subqueries, OPTIONAL, UNION, EXISTS, ...), without recursion."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            yield node
            stack.extend(node.values())
        elif isinstance(node, (ParseResults, list, tuple)):
            stack.extend(node)
        elif isinstance(node, dict):
            stack.extend(node.values())


def has_service(tree) -> bool:
    return any(n.name == "ServiceGraphPattern" for n in _nodes(tree))


def _is_update(text: str) -> bool:
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        parseUpdate(text)
        return True
    except RecursionError:
        return False
    except Exception:  # noqa: BLE001
        return False


def check_query(text: str, who: str = "dorsum") -> CheckedQuery:
    """The query as it may run, or QueryRefused (400: SERVICE, or an escape; 403: an update).
    Parses the query with rdflib, which takes a while: call it where the query runs, not on an
    event loop. `who` names the refuser in messages ("this endpoint")."""
    text = normalise(text)
    tree = _parse(text)
    if not isinstance(tree, Exception):
        nodes = list(_nodes(tree))
        if any(n.name == "ServiceGraphPattern" for n in nodes):
            raise QueryRefused(service_refused(who))
        clauses = [c for n in nodes if n.name in _QUERY_FORMS and "datasetClause" in n for c in n["datasetClause"]]
        if not clauses:
            return CheckedQuery(text, False)
        return CheckedQuery(text, True, *_dataset_iris(tree, clauses))
    if _is_update(text):
        raise QueryRefused(read_only(who), 403)
    if _SERVICE_WORD.search(text):
        raise QueryRefused(service_refused(who) + "; this query could not be parsed to show that it has no "
                           f"SERVICE clause (it contains the word): {' '.join(str(tree).split())[:300]}")
    # rdflib does not read it, and Oxigraph may (or will report the syntax error): without a parse,
    # any FROM is taken for a dataset clause
    return CheckedQuery(text, bool(_FROM_WORD.search(text)))


def _dataset_iris(tree, clauses) -> tuple[tuple[str, ...], tuple[str, ...]] | tuple[None, None]:
    """The FROM and FROM NAMED IRIs of a parsed query, resolved against its PREFIX and BASE
    declarations, in order, each once: the dataset's default graph is the RDF merge of the FROM
    graphs, and a graph merged with itself is the same graph (Oxigraph would read it twice and
    count every triple twice). (None, None) when a name cannot be resolved (Oxigraph then reports it)."""
    from rdflib.plugins.sparql.algebra import translatePrologue

    try:
        prologue = translatePrologue(tree[0], None)
        # (CompValue.get answers a missing key with the key's name: test membership)
        default = [str(prologue.absolutize(c["default"])) for c in clauses if "default" in c]
        named = [str(prologue.absolutize(c["named"])) for c in clauses if "named" in c]
    except Exception:  # noqa: BLE001 - an unknown prefix: left to Oxigraph's own error
        return None, None
    return tuple(dict.fromkeys(default)), tuple(dict.fromkeys(named))


def dataset_options(checked: CheckedQuery, default_graphs=(), named_graphs=()) -> dict:
    """pyoxigraph Store.query keyword arguments for the query's RDF dataset, as the SPARQL 1.1
    Protocol says: `default-graph-uri` / `named-graph-uri` when given (they replace the query's
    FROM / FROM NAMED; the default graph is the merge of the first, the named graphs are the
    second, either possibly empty); else the query's own FROM / FROM NAMED; else dorsum's default
    dataset: the union of all graphs as the default graph, every graph as a named graph.
    Raises QueryRefused for a graph IRI that is no IRI."""
    import pyoxigraph as ox

    if default_graphs or named_graphs:
        try:  # a graph named twice is one graph (Oxigraph would read it twice)
            return {"default_graph": [ox.NamedNode(g) for g in dict.fromkeys(default_graphs)],
                    "named_graphs": [ox.NamedNode(g) for g in dict.fromkeys(named_graphs)]}
        except ValueError as exc:
            raise QueryRefused(f"a default-graph-uri or named-graph-uri is not an IRI: {exc}") from None
    if checked.dataset and checked.from_graphs is not None:
        return {"default_graph": [ox.NamedNode(g) for g in checked.from_graphs],
                "named_graphs": [ox.NamedNode(g) for g in checked.from_named]}
    if checked.dataset:
        return {}
    return {"use_default_graph_as_union": True}


def kb_query_refusal(text: str) -> str | None:
    """Why a knowledge-base query (rule, inference step, QA check, saved query; `text` already
    normalised, the shared PREFIX lines added by the caller) may not be used, or None. Only a text
    with the word "service" is parsed, and the verdict is cached on disk by text (see tbox_cache),
    so loading a knowledge base pays for it once."""
    if not _SERVICE_WORD.search(text):
        return None
    from importlib.metadata import version

    from .runtime.cache import cached_json

    def compute():
        tree = _parse(text)
        if isinstance(tree, Exception):
            return "unparsed"
        return "service" if has_service(tree) else "ok"

    verdict = cached_json("service-check", "\0".join([CHECK_VERSION, version("rdflib"), text]), compute)
    if verdict == "service":
        return "it has a SERVICE (federated query) clause: dorsum never makes outbound requests; remove it"
    if verdict == "unparsed":
        return ("the query could not be parsed to show that it has no SERVICE (federated query) clause, and it "
                "contains the word SERVICE: dorsum never makes outbound requests; fix its syntax")
    return None
