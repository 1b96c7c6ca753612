"""`dorsum serve`: a read-only SPARQL 1.1 Protocol endpoint over the case store (FastAPI/uvicorn).

- GET/POST /sparql (alias /query): queries by GET, by form POST and by application/sparql-query;
  content negotiation by query form and Accept q-values, or `format`/`output` parameters;
  a SPARQL service description when no query is given.
- The RDF dataset is the query's FROM / FROM NAMED, or the `default-graph-uri` / `named-graph-uri`
  parameters when given (they take precedence), else the union of all graphs as the default graph.
- SPARQL Update and SERVICE are refused with a 4xx message, decided on the parsed query
  (sparql_safety) in the worker process; queries run in worker processes with a timeout and a
  memory limit (see query.workers), so a runaway query never hangs the server. The event loop
  only moves bytes: it never scans or parses a query. SELECT and CONSTRUCT/DESCRIBE answers of any
  size stream from the worker to the client (serve.streamed: chunked, cut short visibly when the
  time limit passes mid-answer); --max-results N is an opt-in cap (413 above N rows or triples).
- POST /classify takes one case in the flat JSON form (Content-Type: application/json only) and
  returns its result; ?store=true stores it only when the server was started with --allow-store,
  and an invalid case is never stored (a stored case is never replaced by an invalid one).
- Every request's Host must name the bound address and port (127.0.0.1, localhost or [::1] when
  bound to loopback, plus any --allowed-host): a DNS-rebinding page is answered 421. A POST
  /classify whose Origin is not the server's own, or marked cross-site, is refused (403), and its
  CORS preflight never succeeds, so a web page cannot write to the store.
- GET /health reports the store and knowledge base.
- No CORS headers unless started with --cors-origin: the store holds clinical cases, and any web
  page the user opens could otherwise read them from a browser on the same machine.
- Under load (guards.guarded_protocol, and query.workers.WorkerPool): a request's line and headers
  (and its body) must arrive within --header-timeout seconds of the connection opening or of the previous
  response (408 and close, else a stalled client holds its connection forever); past
  --max-connections open connections a new one is answered 503 and closed at once; a query waits
  at most --queue-wait seconds in line for a worker (first come first served; 503 with Retry-After
  after that), and while queries wait at most workers-1 queries run longer than --long-query
  seconds, so one worker always serves short queries. GET /health never waits for a worker.
The server holds the store's write lock; a `dorsum load` on the same store meanwhile is refused.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import parse_qs

import anyio
import anyio.to_thread
from fastapi import FastAPI, Query, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from .. import DISCLAIMER, __version__
from ..query.protocol import GRAPH_FORMATS, NotAcceptable, negotiate
from ..query.workers import Stream, WorkerPool
from .guards import RequestGuard, guarded_protocol
from .guards import text_response as _text
from .pages import add_pages
from .streamed import StreamedAnswer
from .workbench import add_workbench

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS_NS = "http://www.w3.org/ns/formats/"


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


class Settings:
    def __init__(self, store: str, timeout: float = 30.0, max_results: int | None = None, workers: int = 2,
                 max_body: int = 1_000_000, kb_root: str | None = None, memory_limit: int | None = 2 * 1024 ** 3,
                 host: str = "127.0.0.1", port: int = 7878, allow_store: bool = False,
                 allowed_hosts: tuple[str, ...] = (), header_timeout: float = 10.0, max_connections: int = 200,
                 queue_wait: float = 10.0, long_query: float = 5.0, cors_origins: tuple[str, ...] = ()):
        self.store, self.timeout, self.max_results, self.workers = store, timeout, max_results, workers
        self.max_body, self.kb_root, self.memory_limit = max_body, kb_root, memory_limit
        self.host, self.port, self.allow_store, self.allowed_hosts = host, port, allow_store, tuple(allowed_hosts)
        self.header_timeout, self.max_connections = header_timeout, max_connections
        self.queue_wait, self.long_query = queue_wait, long_query
        self.cors_origins = tuple(cors_origins)  # origins whose pages may read answers (CORS); none by default

    def host_names(self) -> set[str]:
        """The names a request's Host may give (without the port): the bound address, the loopback
        names when bound to loopback or to every interface, and any --allowed-host."""
        import ipaddress

        bound = self.host.strip("[]").lower()
        names = {f"[{bound}]" if ":" in bound else bound}
        try:
            ip = ipaddress.ip_address(bound)
            loopback = ip.is_loopback or ip.is_unspecified
        except ValueError:
            loopback = bound == "localhost"
        if loopback:
            names |= set(LOOPBACK_NAMES)
        names |= {h.lower() for h in self.allowed_hosts}
        return names

    def allowed_hosts_with_port(self) -> set[str]:
        out = {f"{n}:{self.port}" for n in self.host_names()}
        if self.port == 80:  # a browser leaves the default port out of Host and Origin
            out |= self.host_names()
        return out

    def own_origins(self) -> set[str]:
        return {f"http://{h}" for h in self.allowed_hosts_with_port()}


class State:
    """The open store, its current read-only snapshot, the worker pool and the classifier."""

    def __init__(self, settings: Settings):
        from ..pipeline import Classifier
        from ..store.case_store import open_store, store_kb, stored_kb_sha

        self.settings = settings
        self.classifier = Classifier(kb_root=settings.kb_root)
        self.store = open_store(settings.store)
        if stored_kb_sha(self.store) != self.classifier.kb.sha256:
            store_kb(self.store, self.classifier.kb)
        self.tmp = Path(tempfile.mkdtemp(prefix="dorsum-serve-"))
        self.generation = 0
        self.snapshot = self._snapshot()
        self.pool = WorkerPool(settings.workers, settings.memory_limit, queue_wait=settings.queue_wait,
                               long_after=settings.long_query)
        # queries wait in the pool's line, not in the shared thread pool's (40 threads, /classify's too)
        self.query_threads = anyio.CapacityLimiter(max(settings.max_connections, 1))
        self.write_lock = threading.Lock()

    def _snapshot(self) -> str:
        self.generation += 1
        target = self.tmp / f"snapshot-{self.generation}"
        self.store.flush()
        self.store.backup(str(target))
        old = self.tmp / f"snapshot-{self.generation - 2}"
        shutil.rmtree(old, ignore_errors=True)  # the previous one may still serve a running query
        return str(target)

    def close(self) -> None:
        self.pool.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def service_description(base_url: str, accept: str | None, fmt) -> Response:
    import pyoxigraph as ox

    fkey, media = negotiate("graph", accept, fmt)
    s, e = ox.BlankNode("service"), ox.NamedNode(base_url)
    t = lambda p, o: ox.Triple(s, ox.NamedNode(p), o)  # noqa: E731
    triples = [ox.Triple(s, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(SD + "Service")),
               t(SD + "endpoint", e),
               t(SD + "supportedLanguage", ox.NamedNode(SD + "SPARQL11Query")),
               t(SD + "feature", ox.NamedNode(SD + "UnionDefaultGraph")),
               t("http://purl.org/dc/terms/description",
                 ox.Literal(f"dorsum {__version__}: read-only SPARQL endpoint over classified cases. {DISCLAIMER}"))]
    for f in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
              "Turtle", "N-Triples", "JSON-LD", "RDF_XML"):
        triples.append(t(SD + "resultFormat", ox.NamedNode(FORMATS_NS + f)))
    return Response(ox.serialize(triples, format=GRAPH_FORMATS[fkey]), media_type=media)


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.dorsum = await run_in_threadpool(State, settings)
        try:
            yield
        finally:
            app.state.dorsum.close()

    app = FastAPI(title="dorsum", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Read-only SPARQL 1.1 endpoint over classified lump-on-the-back cases, and case "
                              f"classification. {DISCLAIMER}")
    if settings.cors_origins:  # opt-in: without it a page of another origin cannot read the store's cases
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                           allow_methods=["GET", "POST", "OPTIONS"], allow_headers=["*"], expose_headers=["Content-Type"])
    app.add_middleware(RequestGuard, settings=settings)  # added last: runs first, before CORS
    add_pages(app, settings)  # /static, /editor, /api/analytics, /docs (offline Swagger UI)
    add_workbench(app)  # /, /api/case-form, /api/pathways, /rules.html

    async def read_body(request: Request) -> bytes | Response:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > settings.max_body:
            return _text(413, f"request body larger than {settings.max_body} bytes")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > settings.max_body:
                return _text(413, f"request body larger than {settings.max_body} bytes")
        return bytes(body)

    async def answer_query(request: Request, query: str | None, fmt: list, graphs: tuple = ((), ())) -> Response:
        # nothing here reads the query's text: the worker checks it (sparql_safety) and runs it
        state: State = request.app.state.dorsum
        accept = request.headers.get("accept")
        if not query or query.isspace():
            try:
                return service_description(str(request.url).split("?")[0], accept, fmt)
            except NotAcceptable as exc:
                return _text(406, str(exc))
        if len(query) > settings.max_body:  # a GET's query: the same bound as a body
            return _text(413, f"query longer than {settings.max_body} characters")
        request_data = {"query": query, "accept": accept, "format": fmt, "max_results": settings.max_results,
                        "snapshot": state.snapshot, "default_graphs": list(graphs[0]), "named_graphs": list(graphs[1])}
        ans = await anyio.to_thread.run_sync(state.pool.run, request_data, settings.timeout,
                                             limiter=state.query_threads)
        if isinstance(ans, Stream):
            return StreamedAnswer(ans, state.query_threads)
        headers = {"Retry-After": str(ans.retry_after)} if ans.retry_after else None
        return Response(ans.body, status_code=ans.status, media_type=ans.media_type, headers=headers)

    sparql_doc = {"parameters": [
        {"name": "query", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 100000}},
        {"name": "format", "in": "query", "required": False, "schema": {"type": "string"}},
        {"name": "output", "in": "query", "required": False, "schema": {"type": "string"}},
        {"name": "default-graph-uri", "in": "query", "required": False, "schema": {"type": "array", "items": {"type": "string"}}},
        {"name": "named-graph-uri", "in": "query", "required": False, "schema": {"type": "array", "items": {"type": "string"}}}]}

    @app.get("/sparql", openapi_extra=sparql_doc, summary="SPARQL query by GET (no query: service description)")
    @app.get("/query", include_in_schema=False)
    async def sparql_get(request: Request):
        q = request.query_params
        if "update" in q:
            return _text(403, "this endpoint is read-only: SPARQL Update is not accepted")
        return await answer_query(request, q.get("query"), q.getlist("format") + q.getlist("output"), _graphs(q))

    @app.post("/sparql", summary="SPARQL query by POST (form-encoded or application/sparql-query)",
              openapi_extra={"requestBody": {"content": {
                  "application/sparql-query": {"schema": {"type": "string"}},
                  "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
                      "query": {"type": "string"}, "format": {"type": "string"}, "output": {"type": "string"},
                      "default-graph-uri": {"type": "string"}, "named-graph-uri": {"type": "string"}}}}}}})
    @app.post("/query", include_in_schema=False)
    async def sparql_post(request: Request):
        body = await read_body(request)
        if isinstance(body, Response):
            return body
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        params = request.query_params
        fmt = params.getlist("format") + params.getlist("output")
        if ctype == "application/sparql-update":
            return _text(403, "this endpoint is read-only: SPARQL Update is not accepted")
        if ctype == "application/sparql-query":
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                return _text(400, "the query is not UTF-8 text")
            return await answer_query(request, text, fmt, _graphs(params))
        if ctype == "application/x-www-form-urlencoded":
            try:
                form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
            except UnicodeDecodeError:
                return _text(400, "the form is not UTF-8 text")
            if "update" in form:
                return _text(403, "this endpoint is read-only: SPARQL Update is not accepted")
            fmt = fmt + form.get("format", []) + form.get("output", [])
            graphs = (form.get("default-graph-uri", []), form.get("named-graph-uri", []))
            return await answer_query(request, (form.get("query") or [None])[0], fmt,
                                      graphs if any(graphs) else _graphs(params))
        return _text(415, "send the query as application/sparql-query or application/x-www-form-urlencoded")

    @app.get("/health", summary="Liveness and what the server serves")
    async def health(request: Request):
        state: State = request.app.state.dorsum
        kb = state.classifier.kb
        return {"status": "ok", "version": __version__, "store": settings.store,
                "knowledge_base": {"version": kb.version, "sha256": kb.sha256},
                "timeout_seconds": settings.timeout, "max_results": settings.max_results}

    @app.post("/classify", summary="Classify one case in the flat JSON form",
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}})
    async def classify(request: Request, store: bool = Query(False, description="also store the result (only when "
                                                                          "the server was started with --allow-store)"),
                       proof: bool = Query(False, description="add the proof DAG under \"proof\" (the JSON of "
                                                              "`dorsum explain --format json`)")):
        if store and not settings.allow_store:
            return _text(403, "storing from the endpoint is off: start `dorsum serve` with --allow-store to enable "
                              "?store=true")
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            return _text(415, "send the case as Content-Type: application/json")
        body = await read_body(request)
        if isinstance(body, Response):
            return body
        state: State = request.app.state.dorsum
        result = await run_in_threadpool(_classify, state, body, store)
        if proof:
            from ..results.explained import explained
            answer = await run_in_threadpool(explained, result, state.classifier.view)
        else:
            answer = result.json
        return JSONResponse(answer, status_code=200 if result.ok else 422)

    return app


def _classify(state: State, body: bytes, store: bool):
    from ..case.intake import CaseInput, error, flat_case, parse_json
    from ..store.case_store import write_chunk

    with state.write_lock:
        try:
            obj = parse_json(body.decode("utf-8"))
            ci = flat_case(obj, "request", state.classifier.ctx)
        except (ValueError, RecursionError, UnicodeDecodeError) as exc:
            ci = CaseInput("request", "request", errors=[error("", None, f"malformed JSON: {exc}")])
        result = state.classifier.classify_input(ci)
        if store and result.ok:  # an invalid case is never stored, so it never replaces a stored one
            write_chunk(state.store, [result])
            state.snapshot = state._snapshot()
        return result


def _graphs(params) -> tuple[list, list]:
    """The SPARQL 1.1 Protocol's dataset parameters (each may repeat) of a query string."""
    return params.getlist("default-graph-uri"), params.getlist("named-graph-uri")


def serve(settings: Settings, log_level: str = "info") -> None:
    import uvicorn

    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level=log_level,
                http=guarded_protocol(settings.header_timeout, settings.max_connections))

