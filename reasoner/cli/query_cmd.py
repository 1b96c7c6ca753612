"""`dorsum query`: run a saved analytics query (--name) or any .rq file against a store."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import main
from .options import kb_option


@main.command("query")
@click.argument("query_file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--name", help="A saved query of queries/analytics/ (file name without .rq).")
@click.option("--store", "store_path", required=False, type=click.Path(file_okay=False),
              help="Store directory made by `dorsum load`.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "tsv"]), default="table", show_default=True)
@click.option("--list", "list_queries", is_flag=True, help="List the saved queries and what each answers.")
@kb_option
def query_cmd(query_file, name, store_path, fmt, list_queries, kb_root):
    """Run a SPARQL query over the store (the default graph is the union of all graphs)."""
    from ..analytics import list_saved, run_query, saved_query
    from ..kb import kb_paths
    from ..store import StoreError, open_store
    from .guards import click_error

    paths = kb_paths(kb_root)
    if list_queries:
        for q in list_saved(paths):
            click.echo(f"{q.stem:32} {q.title}")
        return
    if bool(query_file) == bool(name):
        raise click.UsageError("give either a query FILE or --name NAME (see --list)")
    if not store_path:
        raise click.UsageError("--store is required")
    text = Path(query_file).read_text(encoding="utf-8") if query_file else saved_query(paths, name)
    try:
        sys.stdout.write(_query_read_only(store_path, text, fmt, open_store, run_query))
    except StoreError as exc:  # a directory that is no usable store: exit 2
        raise click_error(exc) from None
    except SyntaxError as exc:
        raise click.ClickException(f"SPARQL syntax error: {exc}") from exc


def _query_read_only(store_path, text: str, fmt: str, open_store, run_query, attempts: int = 3) -> str:
    """The query over a read-only view of the store. A `dorsum load` writing the store meanwhile
    compacts its files, and a view opened before may find one gone: the view is reopened (it then
    sees the load's latest committed chunks) and the query run again."""
    from ..store import StoreError

    for attempt in range(attempts):
        store = open_store(store_path, read_only=True)
        try:
            return run_query(store, text, fmt)
        except FileNotFoundError as exc:
            if attempt == attempts - 1:
                raise StoreError(f"the store's files changed {attempts} times while the query read them ({exc}): "
                                 "a `dorsum load` is writing it. Retry, or query when the load has finished.") from exc
        finally:
            del store
    raise AssertionError("unreachable")
