"""The query worker's side (query.workers starts it in a process of its own): check a query, run it
and write its answer to the server through the worker's pipe, as it is produced.

What goes down the pipe, for one query:
- an `Answer` (pickled): an error found before the answer's first 64 KiB were written (syntax, a
  refused SERVICE or update, a format that fits no Accept, the result-size cap, a store error), an
  ASK's answer, or a whole answer smaller than 64 KiB;
- or a stream: `("stream", media type)`, then raw byte messages, each `b"D"` + up to about 64 KiB
  of the answer, ended by `b"E"` (complete) or `b"X"` + a message (it failed midway: the server
  ends the response so that a client sees it incomplete).
pyoxigraph serialises SELECT (JSON, XML, CSV, TSV) and CONSTRUCT/DESCRIBE (Turtle, N-Triples,
JSON-LD, RDF/XML) results as it iterates them, writing 8 KiB at a time to the sink; the pipe's
buffer pushes back when the server (or its client) reads slower, so the worker holds a chunk, not
the answer. The time limit is the server's: it kills a worker that runs or streams past it.

With a result-size cap (`max_results`, `dorsum serve --max-results`) the worker first takes up to
cap+1 rows: more than the cap is a 413 before any byte is sent; the cap bounds what it holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

CHUNK = 64 * 1024  # bytes per message down the pipe; an answer smaller than this goes as one Answer
READY = "ready"  # a worker's first message: imports done, it takes queries from now on


@dataclass
class Answer:
    status: int
    media_type: str
    body: bytes
    retry_after: int | None = None  # seconds, for a 503 the client may retry


def error(status: int, message: str, retry_after: float | None = None) -> Answer:
    return Answer(status, "text/plain; charset=utf-8", (message + "\n").encode("utf-8"),
                  None if retry_after is None else max(1, math.ceil(retry_after)))


def no_network() -> bool:
    """Move this process into a new, empty network namespace (Linux: unshare(2), as root or, where
    unprivileged user namespaces are allowed, in a user namespace of its own that maps the same
    user), so nothing it runs can open a network connection, even to 127.0.0.1. Connections and
    pipes already open (the worker's pipe to the server) keep working. Call it while the process has
    one thread. True when done; False when the system does not allow it (then nothing changed)."""
    import sys

    if sys.platform != "linux":
        return False
    import ctypes
    import os

    clone_newuser, clone_newnet = 0x10000000, 0x40000000
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        unshare = libc.unshare
    except (OSError, AttributeError):
        return False
    uid, gid = os.getuid(), os.getgid()
    if unshare(clone_newnet) == 0:
        return True
    if unshare(clone_newuser | clone_newnet) != 0:
        return False
    for name, line in (("setgroups", "deny"), ("gid_map", f"{gid} {gid} 1"), ("uid_map", f"{uid} {uid} 1")):
        try:  # keep this process's own uid and gid inside the namespace (else it shows as nobody)
            with open(f"/proc/self/{name}", "w") as fh:
                fh.write(line)
        except OSError:
            pass
    return True


class Sink:
    """A binary file for pyoxigraph's serialize(): holds the first CHUNK bytes (an error until then is
    still a clean error answer), then sends each CHUNK down the pipe as a stream."""

    def __init__(self, conn, media_type: str = ""):
        self.conn, self.media_type = conn, media_type
        self.buf = bytearray()
        self.streaming = False

    def write(self, data) -> int:
        self.buf += data
        if len(self.buf) >= CHUNK:
            self._send()
        return len(data)

    def flush(self) -> None:  # serialize() flushes at its end: finish() decides what to send
        pass

    def _send(self) -> None:
        if not self.streaming:
            self.conn.send(("stream", self.media_type))
            self.streaming = True
        self.conn.send_bytes(b"D" + self.buf)
        self.buf.clear()

    def finish(self) -> None:
        if not self.streaming:
            self.conn.send(Answer(200, self.media_type, bytes(self.buf)))
            return
        if self.buf:
            self._send()
        self.conn.send_bytes(b"E")


def write_answer(ox, result, req: dict, sink: Sink) -> None:
    """Negotiate the format of `result` (a pyoxigraph query result) and send it to the server."""
    from .protocol import GRAPH_FORMATS, RESULTS_FORMATS, negotiate, serialize_boolean, serialize_rows

    if isinstance(result, ox.QueryBoolean):
        fmt, media = negotiate("results", req["accept"], req["format"])
        sink.conn.send(Answer(200, media, serialize_boolean(bool(result), fmt)))
        return
    kind = "graph" if isinstance(result, ox.QueryTriples) else "results"
    fmt, sink.media_type = negotiate(kind, req["accept"], req["format"])
    cap = req.get("max_results")
    if cap is None:  # no cap: serialised as Oxigraph iterates the result
        result.serialize(sink, RESULTS_FORMATS[fmt] if kind == "results" else GRAPH_FORMATS[fmt])
    else:
        items = []
        for item in result:
            items.append(item)
            if len(items) > cap:
                raise OverflowError(f"the result has more than {cap} {'triples' if kind == 'graph' else 'rows'} "
                                    "(the server's result-size cap, --max-results): add a LIMIT or narrow the query")
        if kind == "graph":
            ox.serialize(items, sink, GRAPH_FORMATS[fmt])
        else:
            sink.write(serialize_rows([v.value for v in result.variables], items, fmt))
    sink.finish()


def worker_main(conn, memory_limit: int | None) -> None:  # pragma: no cover - runs in a child process
    import resource

    no_network()  # first: the process has one thread until pyoxigraph starts RocksDB's
    if memory_limit:
        try:
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
        except (ValueError, OSError):
            pass
    import pyoxigraph as ox

    from rdflib.plugins.sparql import parser  # noqa: F401 - builds the grammar now, not on the first query
    from ..sparql_safety import QueryRefused, check_query, dataset_options
    from .protocol import NotAcceptable

    try:
        conn.send(READY)
    except (OSError, EOFError):
        return
    store, opened = None, None
    while True:
        try:
            req = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        sink, fatal = Sink(conn), False
        try:
            checked = check_query(req["query"], "this endpoint")
            dataset = dataset_options(checked, req.get("default_graphs", ()), req.get("named_graphs", ()))
            if req["snapshot"] != opened:
                store = None
                store = ox.Store.read_only(req["snapshot"])
                opened = req["snapshot"]
            write_answer(ox, store.query(checked.text, **dataset), req, sink)
            continue
        except QueryRefused as exc:
            answer = error(exc.status, str(exc))
        except NotAcceptable as exc:
            answer = error(406, str(exc))
        except SyntaxError as exc:
            answer = error(400, f"SPARQL syntax error: {exc}")
        except OverflowError as exc:
            answer = error(413, str(exc))
        except MemoryError:  # the process may be in a bad state: the server starts a new one
            answer, fatal = error(503, "the query exceeded the worker's memory limit"), True
        except (BrokenPipeError, ConnectionError, EOFError):  # the pipe: the server stopped this query
            return
        except Exception as exc:  # a store error: report it, keep the worker
            answer = error(500, f"query failed: {exc}")
        if not _report(sink, answer) or fatal:
            return


def _report(sink: Sink, answer: Answer) -> bool:
    """Send an error: as the answer, or, when a stream has begun, as its failed end. False when the
    pipe is gone."""
    try:
        if sink.streaming:
            sink.conn.send_bytes(b"X" + answer.body)
        else:
            sink.conn.send(answer)
        return True
    except (OSError, EOFError):
        return False
