"""Saved analytics queries (queries/analytics/*.rq) and the formats their results are written in."""

from __future__ import annotations

import io

import pyoxigraph as ox

from ..namespaces import SPARQL_PREFIXES
from ..kb.rule_files import read_query_dir


def list_saved(paths):
    return read_query_dir(paths.analytics, paths.root)


class UnknownQuery(LookupError):
    """No saved query has that name; the message lists those there are."""


def saved_query(paths, name: str) -> str:
    """The text of the saved query `name`; UnknownQuery when there is none."""
    f = paths.analytics / f"{name}.rq"
    if not f.is_file():
        names = ", ".join(q.stem for q in list_saved(paths))
        raise UnknownQuery(f"no saved query '{name}'; saved queries are: {names}")
    return f.read_text(encoding="utf-8")


def _term(t) -> str:
    if t is None:
        return ""
    if isinstance(t, ox.Literal):
        return t.value
    if isinstance(t, ox.NamedNode):
        return t.value
    return str(t)


def user_position(message: str, prefix_lines: int) -> str:
    """Oxigraph's "error at LINE:COLUMN[-LINE:COLUMN]" counts the PREFIX lines dorsum puts before
    the user's query: give the position in the user's own text."""
    import re

    def shift(m: re.Match) -> str:
        out = m.group(1) + f"{int(m.group(2)) - prefix_lines}:{m.group(3)}"
        if m.group(4):
            out += f"-{int(m.group(4)) - prefix_lines}:{m.group(5)}"
        return out

    return re.sub(r"^(error at )(\d+):(\d+)(?:-(\d+):(\d+))?", shift, message, count=1)


def run_query(store: ox.Store, text: str, fmt: str, default_graphs=(), named_graphs=()) -> str:
    """The query's result in `fmt`. The query is checked first (sparql_safety: no SERVICE, no update;
    refused with a SyntaxError that says why) and runs over its own FROM / FROM NAMED dataset, or
    the graphs given (as the protocol's default-graph-uri / named-graph-uri), else over the union
    of all graphs."""
    from ..sparql_safety import QueryRefused, check_query, dataset_options

    try:
        checked = check_query(SPARQL_PREFIXES + text)
        dataset = dataset_options(checked, default_graphs, named_graphs)
    except QueryRefused as exc:  # `dorsum query` words a SyntaxError as the query's fault, and exits 1
        raise SyntaxError(f"query refused: {exc}") from None
    try:
        result = store.query(checked.text, **dataset)
    except SyntaxError as exc:
        raise SyntaxError(user_position(str(exc), SPARQL_PREFIXES.count("\n"))) from None
    if isinstance(result, ox.QueryBoolean):
        return ("true" if bool(result) else "false") + "\n"
    if isinstance(result, ox.QueryTriples):
        rdf = {"table": ox.RdfFormat.TURTLE, "json": ox.RdfFormat.JSON_LD, "csv": ox.RdfFormat.N_TRIPLES,
               "tsv": ox.RdfFormat.N_TRIPLES}[fmt]
        return result.serialize(format=rdf).decode("utf-8")
    if fmt == "table":
        from rich.console import Console
        from rich.table import Table

        variables = [v.value for v in result.variables]
        table = Table(*variables)
        for row in result:
            table.add_row(*[_term(row[v]) for v in variables])
        buf = io.StringIO()
        Console(file=buf, width=200, highlight=False).print(table)
        return buf.getvalue()
    formats = {"json": ox.QueryResultsFormat.JSON, "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}
    return result.serialize(format=formats[fmt]).decode("utf-8")
