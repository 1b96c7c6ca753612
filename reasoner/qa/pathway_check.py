"""The pathway guard of `dorsum check`: a rule of one care pathway never fires on a case outside it.

A rule names its pathway in its header (`# pathway: <slug>`); its WHERE clause must then hold the
triple pattern `?case dorsum:entersPathway <that pathway>` (anywhere in the parsed query, a
subquery included), unless the rule is the pathway's entry rule, which constructs that triple.
The decision is made on rdflib's algebra of the query, never on its text. The engine knows no
pathway: it only checks that the header and the query agree.
"""

from __future__ import annotations

from rdflib import URIRef, Variable
from rdflib.term import Identifier
from rdflib.plugins.sparql import prepareQuery

from ..namespaces import DORSUM, SPARQL_PREFIXES

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


def guard_problems(rules) -> list[tuple[str, str, str]]:
    """(severity, rule file, message) for each rule whose pathway header its query does not honour."""
    problems = []
    for rule in rules:
        if rule.status != "active":
            continue
        if rule.pathway is None:
            problems.append(("INFO", rule.relpath, "belongs to no care pathway (a case-level policy rule)"))
            continue
        pathway = URIRef(rule.pathway)
        try:
            query = prepareQuery(SPARQL_PREFIXES + rule.text)
        except Exception as exc:  # a syntax error is reported by the load; say why the guard is unknown
            problems.append(("ERROR", rule.relpath, f"cannot read the query to check its pathway: {exc}"))
            continue
        where = _triples(query.algebra.get("p"), set())
        template = _triples(query.algebra.get("template"), set())
        guarded = any(p == ENTERS and o == pathway and isinstance(s, Variable) for s, p, o in where)
        enters = any(p == ENTERS and o == pathway for s, p, o in template)
        if not (guarded or enters):
            problems.append(("ERROR", rule.relpath, f"its header puts it in {rule.pathway} but its WHERE clause "
                             f"never requires ?case dorsum:entersPathway <{rule.pathway}>: it could fire on a "
                             "case outside its pathway"))
    return problems
