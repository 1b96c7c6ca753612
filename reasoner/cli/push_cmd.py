"""`dorsum push`: write the graphs of an embedded store, or of N-Quads files, into another SPARQL 1.1
store through the Graph Store HTTP Protocol (store.remote)."""

from __future__ import annotations

import sys

import click

from . import main
from .options import kb_option

TO_HELP = ("URL of the other store's SPARQL 1.1 Graph Store endpoint (Virtuoso: http://HOST:8890/sparql-graph-crud-auth); "
           "each graph is PUT to URL?graph=IRI, replacing it there. Credentials only from the environment: "
           "DORSUM_STORE_USER, DORSUM_STORE_PASSWORD (Digest or Basic, as the server asks); DORSUM_STORE_CA_BUNDLE "
           "adds CA certificates (TLS is always verified).")


def report(summary) -> int:
    """Print the push's summary (standard output) and its failures (standard error); the exit code."""
    for iri, why in summary.failures[:20]:
        click.echo(f"failed: <{iri}>: {why}", err=True)
    if len(summary.failures) > 20:
        click.echo(f"... and {len(summary.failures) - 20} more failed graphs", err=True)
    click.echo(summary.line(), err=not summary.ok)
    return 0 if summary.ok else 1


def progress_printer():
    """A progress callback that prints a line every 1000 graphs when standard error is a terminal."""
    def show(summary) -> None:
        if sys.stderr.isatty() and summary.graphs and summary.graphs % 1000 == 0:
            click.echo(f"  {summary.graphs} graphs written", err=True)
    return show


@main.command("push")
@click.argument("nquads", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--store", "store_path", type=click.Path(file_okay=False),
              help="An embedded store made by `dorsum load` (opened read-only): every graph, the knowledge base's included.")
@click.option("--to", "url", required=True, metavar="URL", help=TO_HELP)
@click.option("--with-kb", is_flag=True, help="With N-Quads files: also write the knowledge base's graph (of --kb), "
                                               "as `dorsum load` stores it; the saved queries join with it.")
@kb_option
def push_cmd(nquads, store_path, url, with_kb, kb_root):
    """Write every graph of a store (--store DIR) or of N-Quads files (NQUADS..., e.g. from Spark)
    into another SPARQL 1.1 store, one PUT per graph, so a second push replaces what the first wrote.
    Connection errors, 429 and 5xx are retried with back-off. Prints what was written; exit 0 if
    every graph was written, 1 if any failed, 2 if the URL or the store is unusable."""
    import tempfile

    from ..errors import DorsumError
    from ..store.remote import check_url, nquads_store, push_store
    from .guards import click_error

    if bool(store_path) == bool(nquads):
        raise click.UsageError("give either --store DIR or N-Quads files to push")
    if with_kb and store_path:
        raise click.UsageError("--with-kb is for N-Quads files: a store has its knowledge base's graph already")
    try:
        check_url(url)
        if store_path:
            summary = push_store(store_path, url, progress=progress_printer())
        else:
            kb = None
            if with_kb:
                from ..kb.knowledge_base import load_kb
                kb = load_kb(kb_root)
            with tempfile.TemporaryDirectory(prefix="dorsum-push-") as tmp:
                summary = push_store(nquads_store(nquads, tmp + "/store", kb), url, progress=progress_printer())
    except DorsumError as exc:
        raise click_error(exc) from None
    sys.exit(report(summary))
