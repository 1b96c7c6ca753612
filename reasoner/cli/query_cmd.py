"""`dorsum query`: run a saved analytics query (--name) or any .rq file against a store, read-only,
under the endpoint's query limits (query.limits)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import main
from .options import kb_option


@main.command("query")
@click.argument("query_file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--name", help="A saved query of queries/analytics/ (file name without .rq).")
@click.option("--query", "query_text", metavar="TEXT", help="The query itself, instead of a FILE or --name.")
@click.option("--store", "store_path", required=False, type=click.Path(file_okay=False),
              help="Store directory made by `dorsum load`.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "tsv"]), default="table", show_default=True)
@click.option("--list", "list_queries", is_flag=True, help="List the saved queries and what each answers.")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="Time limit, seconds (as `dorsum serve`); the query also runs under the endpoint's memory limit.")
@click.option("--default-graph-uri", "default_graphs", multiple=True, metavar="IRI",
              help="Run over this graph as the default graph (repeatable; the merge of all given), as the SPARQL "
                   "1.1 Protocol's default-graph-uri: replaces the query's FROM / FROM NAMED.")
@click.option("--named-graph-uri", "named_graphs", multiple=True, metavar="IRI",
              help="Make this graph a named graph (repeatable), as the protocol's named-graph-uri.")
# the default is query.limits.TIMEOUT, kept literal so that no command pays for importing it (tested equal)
@kb_option
def query_cmd(query_file, name, query_text, store_path, fmt, list_queries, timeout, default_graphs, named_graphs, kb_root):
    """Run a SPARQL query over the store (the default graph is the union of all graphs, unless the
    query's FROM / FROM NAMED or --default-graph-uri / --named-graph-uri say otherwise). The store
    is opened read-only, never created or repaired; the query runs in a child process with the
    endpoint's memory limit and the time limit, and is stopped past either."""
    from ..query.analytics import UnknownQuery, list_saved, saved_query
    from ..errors import DorsumError
    from ..kb.knowledge_base import kb_paths
    from ..query.limits import run_limited
    from .guards import click_error

    paths = kb_paths(kb_root)
    if list_queries:
        for q in list_saved(paths):
            click.echo(f"{q.stem:32} {q.title}")
        return
    if sum(map(bool, (query_file, name, query_text))) != 1:
        raise click.UsageError("give one of a query FILE, --query TEXT or --name NAME (see --list)")
    if not store_path:
        raise click.UsageError("--store is required")
    if query_text:
        text = query_text
    elif query_file:
        text = Path(query_file).read_text(encoding="utf-8")
    else:
        try:
            text = saved_query(paths, name)
        except UnknownQuery as exc:
            raise click.UsageError(str(exc)) from None
    try:
        sys.stdout.write(run_limited(store_path, text, fmt, timeout,
                                     default_graphs=default_graphs, named_graphs=named_graphs))
    except DorsumError as exc:  # the store (unusable: exit 2), or a limit
        raise click_error(exc) from None
    except SyntaxError as exc:
        raise click.ClickException(f"SPARQL syntax error: {exc}") from None

