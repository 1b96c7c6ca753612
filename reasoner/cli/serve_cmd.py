"""`dorsum serve`: the SPARQL 1.1 endpoint over a store."""

from __future__ import annotations

import click

from . import main
from .options import kb_option


@main.command("serve")
@click.option("--store", "store_path", required=True, type=click.Path(file_okay=False), help="Store directory.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback by default).")
@click.option("--port", default=7878, show_default=True, type=int)
@click.option("--timeout", default=30.0, show_default=True, type=float, help="Per-query time limit, seconds.")
@click.option("--max-results", default=None, type=click.IntRange(min=0), metavar="N",
              help="Refuse (413) an answer of more than N rows or triples. Off by default: answers of any size "
                   "stream to the client, the server's memory stays flat, the time limit still applies.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Query worker processes.")
@click.option("--max-body", default=1_000_000, show_default=True, type=int, help="Largest request body, bytes.")
@click.option("--allow-store", is_flag=True, default=False,
              help="Let POST /classify?store=true store valid cases (off by default: the endpoint writes nothing).")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="Another name clients may give in the Host header (repeatable); the bound address, and "
                   "127.0.0.1/localhost/[::1] when bound to loopback, are always allowed.")
@click.option("--header-timeout", default=10.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds a client has to send a request (line, headers and body) after connecting or after "
                   "the previous response; then 408 and the connection is closed.")
@click.option("--max-connections", default=200, show_default=True, type=click.IntRange(min=1),
              help="Open connections at most; a connection beyond gets 503 and is closed at once.")
@click.option("--queue-wait", default=10.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds a query waits in line for a free worker before 503 (with Retry-After).")
@click.option("--long-query", default=5.0, show_default=True, type=click.FloatRange(min=0.1),
              help="A query running longer than this many seconds is long: while queries wait for a worker, at "
                   "most workers-1 long queries run (a further one is stopped, 503), so one worker always serves "
                   "short queries.")
@click.option("--cors-origin", "cors_origins", multiple=True, metavar="ORIGIN",
              help="Let web pages of this origin (e.g. http://localhost:3000, or * for any) read the endpoint's "
                   "answers (CORS; repeatable). Off by default: the store holds clinical cases. Writes stay "
                   "same-origin only.")
@kb_option
def serve_cmd(store_path, host, port, timeout, max_results, workers, max_body, allow_store, allowed_hosts,
              header_timeout, max_connections, queue_wait, long_query, cors_origins, kb_root):
    """Serve the store as a read-only SPARQL 1.1 endpoint (GET/POST /sparql), plus POST /classify
    and GET /health. Never makes outbound requests. The store must be one made by `dorsum load`
    that opens cleanly: no other directory is made a store (exit 2, nothing changed). A request
    whose Host is not the server's address is refused (421); POST /classify takes application/json
    from the same origin only, and stores (?store=true) only with --allow-store, never an invalid case."""
    from ..store.case_store import StoreError, open_store
    from .guards import click_error

    try:  # before the server starts: a clear one-line error, and a damaged store is never opened for writing
        view = open_store(store_path, read_only=True)
    except StoreError as exc:
        raise click_error(exc) from None
    del view
    from ..serve.app import Settings, serve

    serve(Settings(store_path, timeout, max_results, workers, max_body, kb_root, host=host, port=port,
                   allow_store=allow_store, allowed_hosts=allowed_hosts, header_timeout=header_timeout,
                   max_connections=max_connections, queue_wait=queue_wait, long_query=long_query,
                   cors_origins=cors_origins))
