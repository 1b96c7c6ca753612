"""The pathway guard of `dorsum check`: a rule of one care pathway never fires on a case outside it.

A rule names its pathway in its header (`# pathway: <slug>`); its WHERE clause must then hold the
triple pattern `?case dorsum:entersPathway <that pathway>` (anywhere in the parsed query, a
subquery included), unless the rule is the pathway's entry rule, which constructs that triple.
The decision is made on rdflib's algebra of the query, never on its text (the algebra's facts
are cached on disk, keyed by the text). The engine knows no
pathway: it only checks that the header and the query agree.
"""

from __future__ import annotations

from rdflib import Variable
from rdflib.term import Identifier
from rdflib.plugins.sparql import prepareQuery

from ..namespaces import DORSUM, SPARQL_PREFIXES
from ..runtime.cache import cached_json

ENTERS = DORSUM.entersPathway


def _triples(node, out: set) -> set:
    """Every (s, p, o) triple pattern anywhere in an algebra node."""
    if isinstance(node, dict):
        for value in node.values():
            _triples(value, out)
    elif isinstance(node, (list, tuple)):
        if len(node) == 3 and all(isinstance(x, Identifier) for x in node):
            out.add(tuple(node))
        for value in node:
            if isinstance(value, (dict, list, tuple)):
                _triples(value, out)
    return out


GUARD_VERSION = "pathway-guard-v1"


def _pathway_triples(text: str) -> dict:
    """The pathways the query's WHERE clause requires of a variable (?x dorsum:entersPathway <p>)
    and those its template constructs, from rdflib's algebra; {"error": message} when rdflib
    cannot read it. rdflib's parser takes ~60 ms a rule: cached on disk by the query's text."""
    from importlib.metadata import version

    def compute():
        try:
            query = prepareQuery(SPARQL_PREFIXES + text)
        except Exception as exc:  # noqa: BLE001 - reported by the guard: why it is unknown
            return {"error": str(exc)}
        where = _triples(query.algebra.get("p"), set())
        template = _triples(query.algebra.get("template"), set())
        return {"required": sorted({str(o) for s, p, o in where if p == ENTERS and isinstance(s, Variable)}),
                "constructed": sorted({str(o) for s, p, o in template if p == ENTERS})}

    return cached_json("guard", "\0".join([GUARD_VERSION, version("rdflib"), SPARQL_PREFIXES, text]), compute)


def guard_problems(rules) -> list[tuple[str, str, str]]:
    """(severity, rule file, message) for each rule whose pathway header its query does not honour."""
    problems = []
    for rule in rules:
        if rule.status != "active":
            continue
        if rule.pathway is None:
            problems.append(("INFO", rule.relpath, "belongs to no care pathway (a case-level policy rule)"))
            continue
        found = _pathway_triples(rule.text)
        if "error" in found:  # a syntax error is reported by the load; say why the guard is unknown
            problems.append(("ERROR", rule.relpath, f"cannot read the query to check its pathway: {found['error']}"))
            continue
        if rule.pathway not in found["required"] and rule.pathway not in found["constructed"]:
            problems.append(("ERROR", rule.relpath, f"its header puts it in {rule.pathway} but its WHERE clause "
                             f"never requires ?case dorsum:entersPathway <{rule.pathway}>: it could fire on a "
                             "case outside its pathway"))
    return problems
