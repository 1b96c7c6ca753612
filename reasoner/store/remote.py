"""Writing case graphs into another SPARQL 1.1 store (issue 19): the SPARQL 1.1 Graph Store HTTP
Protocol, one `PUT URL?graph=<iri>` of a whole graph's N-Triples per request, so writing a graph
again replaces it. The graph IRIs are the embedded store's (case_store: the knowledge base in its
graph, one graph per case), so the saved analytics queries join the same way on either store.

- Credentials come from the environment only (DORSUM_STORE_USER, DORSUM_STORE_PASSWORD), never
  from the command line or the URL, and are never printed or logged. The scheme is the one the
  server's 401 challenge asks for: HTTP Digest (Virtuoso) or Basic (only over https or to this
  machine: it sends the password readable).
- TLS certificates are verified (DORSUM_STORE_CA_BUNDLE names extra CA certificates).
- A connection error, a timeout, 429 or a 5xx is retried with exponential back-off (a bounded
  number of times; a numeric Retry-After is honoured up to the cap); any other 4xx is not retried
  and is reported with the graph IRI and the server's message.
- A redirect is followed only to the same scheme, host and port, and only when it keeps the PUT
  (307, 308); any other redirect is a failure, never followed.
- The push stops early when going on cannot help: the server cannot be reached after the retries,
  or refuses the credentials (401) or the write (403).
"""

from __future__ import annotations

import html
import os
import re
import ssl
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator
from urllib.parse import quote, urljoin, urlsplit

import httpx

from ..errors import DorsumError
from ..namespaces import KB_GRAPH

ENV_USER = "DORSUM_STORE_USER"
ENV_PASSWORD = "DORSUM_STORE_PASSWORD"
ENV_CA_BUNDLE = "DORSUM_STORE_CA_BUNDLE"
RETRIES = 5          # attempts after the first, for connection errors, timeouts, 429 and 5xx
BACKOFF = 0.5        # seconds before the first retry, doubled for each next one
BACKOFF_CAP = 30.0   # no wait is longer
MAX_REDIRECTS = 3    # same-origin 307/308 hops per request
CONNECTIONS = 4      # PUTs in flight at once (a store commits each PUT on its own: Virtuoso ~50 ms)
CONTENT_TYPE = "application/n-triples"


class RemoteStoreError(DorsumError):
    """The remote store cannot be used as given (a bad URL, credentials in it, unreadable CA file):
    nothing was written. Exit 2, as for any unusable input."""

    exit_code = 2


class _Stop(Exception):
    """Going on cannot help: every later graph would fail the same way."""


@dataclass
class PushSummary:
    """What a push did: graphs and triples written, retries, failures (graph IRI, why), seconds;
    `stopped` says why the push ended early, if it did."""

    url: str
    graphs: int = 0
    triples: int = 0
    retries: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    stopped: str = ""
    start: float = field(default_factory=time.perf_counter)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures and not self.stopped

    def line(self) -> str:
        text = (f"wrote {self.graphs} graphs ({self.triples} triples) to {self.url} in {self.seconds:.1f} s: "
                f"{self.retries} retries, {len(self.failures)} failed")
        return text + (f"; stopped early: {self.stopped}" if self.stopped else "")


def check_url(url: str) -> str:
    """The Graph Store endpoint URL, or RemoteStoreError: http(s) with a host, and no credentials in it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RemoteStoreError(f"--to {url!r} is not an http:// or https:// URL of a SPARQL 1.1 Graph Store endpoint "
                               "(for Virtuoso: http://HOST:8890/sparql-graph-crud-auth)")
    if parts.username is not None or parts.password is not None:
        raise RemoteStoreError(f"--to must not carry credentials: give them in {ENV_USER} and {ENV_PASSWORD} "
                               "(the URL would be seen in the process list and the shell history)")
    if parts.fragment:
        raise RemoteStoreError(f"--to {url!r} has a fragment (#...): give the endpoint's URL without one")
    return url


def graph_url(endpoint: str, graph_iri: str) -> str:
    """The protocol's indirect graph identification: endpoint?graph=<percent-encoded IRI>."""
    return endpoint + ("&" if urlsplit(endpoint).query else "?") + "graph=" + quote(graph_iri, safe="")


def server_message(response: httpx.Response, limit: int = 300) -> str:
    """The server's answer as one short line of text (HTML tags dropped)."""
    text = re.sub(r"<[^>]*>", " ", response.text or "")
    text = " ".join(html.unescape(text).split())
    return (text[:limit] + "...") if len(text) > limit else (text or response.reason_phrase)


class _ChallengeAuth(httpx.Auth):
    """Sends the credentials the way the server's first 401 asks for (Digest or Basic), from then
    on directly. Nothing is sent before a server asks; `learnt` (shared by the threads of a push)
    keeps the scheme, so a later thread's client sends Basic at once (Digest needs its own nonce)."""

    def __init__(self, user: str, password: str, learnt: dict):
        self._user, self._password, self._learnt = user, password, learnt
        self._inner: httpx.Auth | None = httpx.BasicAuth(user, password) if learnt.get("scheme") == "basic" else None

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        if self._inner is not None:
            yield from self._inner.auth_flow(request)
            return
        response = yield request
        challenges = [h.split(None, 1)[0].lower() for h in response.headers.get_list("www-authenticate") if h.strip()]
        if response.status_code != 401 or not challenges:
            return
        if "digest" in challenges:
            self._learnt["scheme"] = "digest"
            self._inner = httpx.DigestAuth(self._user, self._password)
            flow = self._inner.auth_flow(request)
            next(flow)  # its first, unauthenticated request: answered already by `response`
            try:
                authed = flow.send(response)
            except StopIteration:
                return
            answer = yield authed
            try:
                flow.send(answer)
            except StopIteration:
                pass
        elif "basic" in challenges:
            if not basic_allowed(str(request.url)):
                self._learnt["refused"] = True
                return
            self._learnt["scheme"] = "basic"
            self._inner = httpx.BasicAuth(self._user, self._password)
            yield from self._inner.auth_flow(request)


def basic_allowed(url: str) -> bool:
    """Basic authentication sends the password readable: only over https, or to this machine."""
    parts = urlsplit(url)
    return parts.scheme == "https" or parts.hostname in ("localhost", "::1") or (parts.hostname or "").startswith("127.")


def _verify(environ) -> ssl.SSLContext | bool:
    ca = environ.get(ENV_CA_BUNDLE)
    if not ca:
        return True
    try:
        return ssl.create_default_context(cafile=ca)
    except (OSError, ssl.SSLError) as exc:
        raise RemoteStoreError(f"{ENV_CA_BUNDLE}={ca} cannot be read as CA certificates: {exc}") from None


class GraphStore:
    """A SPARQL 1.1 Graph Store HTTP Protocol endpoint that graphs are PUT into, from any number of
    threads (each has its own connection and authentication state). `sleep` is the back-off's wait
    (tests replace it)."""

    def __init__(self, url: str, user: str | None = None, password: str | None = None, *, retries: int = RETRIES,
                 backoff: float = BACKOFF, timeout: float = 120.0, verify: ssl.SSLContext | bool = True,
                 sleep: Callable[[float], None] = time.sleep):
        self.url = check_url(url)
        self.retries, self.backoff, self.sleep = retries, backoff, sleep
        self._credentials = (user, password or "") if user else None
        self._options = dict(timeout=timeout, verify=verify, follow_redirects=False, trust_env=False,
                             headers={"User-Agent": "dorsum"})
        self._local, self._learnt = threading.local(), {}
        self._clients: list[httpx.Client] = []
        self._lock = threading.Lock()
        self.summary = PushSummary(url)

    @property
    def client(self) -> httpx.Client:
        """This thread's client (never redirects by itself, ignores proxy variables)."""
        client = getattr(self._local, "client", None)
        if client is None:
            auth = _ChallengeAuth(*self._credentials, self._learnt) if self._credentials else None
            client = self._local.client = httpx.Client(auth=auth, **self._options)
            with self._lock:
                self._clients.append(client)
        return client

    @classmethod
    def from_env(cls, url: str, environ=None, **kwargs) -> "GraphStore":
        """The endpoint with the credentials and CA certificates of the environment, if any."""
        env = os.environ if environ is None else environ
        return cls(url, env.get(ENV_USER) or None, env.get(ENV_PASSWORD), verify=_verify(env), **kwargs)

    def __enter__(self) -> "GraphStore":
        return self

    def __exit__(self, *exc) -> None:
        for client in self._clients:
            client.close()

    def put(self, graph_iri: str, ntriples: bytes, triples: int) -> bool:
        """PUT one graph (replacing it); record it in the summary. False when it failed (recorded
        with the server's message); raises _Stop when no later graph can succeed either."""
        error = self._put(graph_iri, ntriples)
        with self._lock:
            if error is None:
                self.summary.graphs += 1
                self.summary.triples += triples
            else:
                self.summary.failures.append((graph_iri, error))
        return error is None

    def _put(self, graph_iri: str, body: bytes) -> str | None:
        url, hops, attempt = graph_url(self.url, graph_iri), 0, 0
        while True:
            try:
                response = self.client.put(url, content=body, headers={"Content-Type": CONTENT_TYPE})
            except httpx.TransportError as exc:
                why = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                if "CERTIFICATE_VERIFY_FAILED" in why:  # retrying cannot help; verification is never turned off
                    raise _Stop(f"{self.url}: the server's TLS certificate is not trusted ({why}); give its CA "
                                f"certificates in {ENV_CA_BUNDLE}") from None
                if attempt >= self.retries:
                    raise _Stop(f"{self.url} cannot be reached ({why}) after {attempt} retries") from None
                self._wait(attempt, None)
                attempt += 1
                continue
            status = response.status_code
            if 200 <= status < 300:
                return None
            if status in (307, 308) and hops < MAX_REDIRECTS and self._same_origin(url, response):
                url, hops = urljoin(url, response.headers["location"]), hops + 1
                continue
            if 300 <= status < 400:
                where = response.headers.get("location", "nowhere")
                return (f"{status}: redirected to {where}: not followed (dorsum follows only a 307/308 to the same "
                        "scheme, host and port)")
            if status == 401 and self._learnt.get("refused"):
                raise _Stop("the server asks for HTTP Basic authentication over plain http://, which would send the "
                            "password readable to anyone on the way: use its https:// URL (Digest is sent either way)")
            if status == 401:
                raise _Stop(f"401 for <{graph_iri}>: the server refused the credentials; set {ENV_USER} and "
                            f"{ENV_PASSWORD} ({server_message(response)})")
            if status == 403:
                raise _Stop(f"403 for <{graph_iri}>: the user may not write graphs (for Virtuoso: GRANT SPARQL_UPDATE "
                            f"to it) ({server_message(response)})")
            if (status == 429 or status >= 500) and attempt < self.retries:
                self._wait(attempt, response.headers.get("retry-after"))
                attempt += 1
                continue
            return f"{status}: {server_message(response)}" + (f" (after {attempt} retries)" if attempt else "")

    @staticmethod
    def _same_origin(url: str, response: httpx.Response) -> bool:
        location = response.headers.get("location")
        if not location:
            return False
        a, b = urlsplit(url), urlsplit(urljoin(url, location))
        return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)

    def _wait(self, attempt: int, retry_after: str | None) -> None:
        seconds = self.backoff * 2 ** attempt
        if retry_after and retry_after.strip().isdigit():
            seconds = max(seconds, float(retry_after))
        with self._lock:
            self.summary.retries += 1
        self.sleep(min(seconds, BACKOFF_CAP))


def push_graphs(remote: GraphStore, graphs: Iterable[tuple[str, bytes, int]],
                progress: Callable[[PushSummary], None] | None = None, connections: int = CONNECTIONS) -> PushSummary:
    """PUT each (graph IRI, N-Triples, triple count): the first alone (the knowledge base: a wrong
    URL or password shows at once), then up to `connections` at a time, a bounded number queued.
    The summary of what was written; the push ends early (summary.stopped) when the server cannot
    be reached or refuses the credentials or the write."""
    summary, graphs = remote.summary, iter(graphs)
    pool = ThreadPoolExecutor(max(1, connections), thread_name_prefix="dorsum-push")
    pending: set = set()

    def settle(done) -> None:
        for future in done:
            future.result()  # raises _Stop
            if progress is not None:
                progress(summary)

    try:
        first = next(graphs, None)
        if first is not None:
            settle([pool.submit(remote.put, *first)])
        for item in graphs:
            pending.add(pool.submit(remote.put, *item))
            if len(pending) >= 2 * connections:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                settle(done)
        settle(wait(pending).done)
    except _Stop as stop:
        summary.stopped = str(stop)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    summary.seconds = time.perf_counter() - summary.start
    return summary


def store_graphs(store, only: set[str] | None = None) -> Iterator[tuple[str, bytes, int]]:
    """Every named graph of an embedded store (pyoxigraph.Store) as (IRI, N-Triples, triples), the
    knowledge-base graph first; with `only`, just those graph IRIs (the knowledge base always)."""
    import pyoxigraph as ox

    def one(graph: ox.NamedNode) -> tuple[str, bytes, int]:
        body = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
        return graph.value, body, body.count(b" .\n")  # N-Triples escapes line breaks in literals

    kb = ox.NamedNode(KB_GRAPH)
    if store.contains_named_graph(kb):
        yield one(kb)
    if only is not None:
        for iri in sorted(only - {KB_GRAPH}):
            if store.contains_named_graph(ox.NamedNode(iri)):
                yield one(ox.NamedNode(iri))
        return
    for graph in store.named_graphs():
        if isinstance(graph, ox.NamedNode) and graph != kb:
            yield one(graph)


def push_store(store_path, url: str, only: set[str] | None = None, environ=None,
               progress: Callable[[PushSummary], None] | None = None, connections: int = CONNECTIONS,
               **kwargs) -> PushSummary:
    """PUT every graph of the embedded store at `store_path` (opened read-only: never created or
    changed), or with `only` those graphs and the knowledge base, into the Graph Store at `url`."""
    from .case_store import open_store

    check_url(url)
    store = open_store(store_path, read_only=True)
    with GraphStore.from_env(url, environ, **kwargs) as remote:
        return push_graphs(remote, store_graphs(store, only), progress, connections)


def in_case_graph(case_id: str, nquads: str | None) -> str:
    """One case's result graph (N-Triples, or N-Quads of the default graph: the `nquads` column of
    `dorsum spark`, `dorsum classify --format nquads` of one case) as N-Quads in the case's graph of
    the embedded store, its blank nodes renamed apart from every other case's (canonical labels
    such as _:c14n0 repeat from case to case, and one N-Quads file is one blank-node scope). An
    error row (no graph: None) gives nothing."""
    import pyoxigraph as ox

    if not nquads:
        return ""

    from .case_store import case_graph_iri

    graph, fresh = ox.NamedNode(case_graph_iri(case_id)), {}

    def node(term):
        return fresh.setdefault(term, ox.BlankNode()) if isinstance(term, ox.BlankNode) else term

    quads = [ox.Quad(node(q.subject), q.predicate, node(q.object), graph)
             for q in ox.parse(nquads.encode("utf-8"), format=ox.RdfFormat.N_QUADS)]
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS).decode("utf-8")


def nquads_store(paths: Iterable, directory, kb=None) -> str:
    """Bulk-load N-Quads files (a store's dump, or Spark's results through in_case_graph) into a new
    embedded store in `directory`, with the knowledge base's graph when `kb` is given (as `dorsum
    load` writes it), so that they are pushed graph by graph like a store; its path."""
    import pyoxigraph as ox

    from .case_store import store_kb

    store = ox.Store(str(directory))
    if kb is not None:
        store_kb(store, kb)
    for path in paths:
        try:
            store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
        except (SyntaxError, ValueError) as exc:
            raise RemoteStoreError(f"{path} is not N-Quads: {exc}") from None
    if next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is not None:
        raise RemoteStoreError("the N-Quads have triples outside any named graph: the Graph Store protocol writes a "
                               "graph by its IRI, so give every quad its graph (a case's: "
                               "https://w3id.org/dorsum/graph/case/<id>); nothing was written")
    store.flush()
    del store
    return str(directory)
