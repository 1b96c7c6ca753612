"""Query workers: SPARQL queries run in separate processes, so a query can be stopped.

An Oxigraph query cannot be cancelled from Python, and a cross join can eat all memory. Each worker
is a process with its own memory limit that opens a read-only snapshot (a RocksDB checkpoint) of
the store; the server waits for its answer up to the timeout, and on timeout or crash kills it,
starts a fresh one and answers with a clear error. The server keeps serving.

A worker checks each query before Oxigraph sees it (sparql_safety: no SERVICE, no update; parsed
here, not on the server's event loop) and runs the checked text over the dataset the request names
(FROM / FROM NAMED, or the protocol's default-graph-uri / named-graph-uri). Oxigraph itself cannot
be told not to make HTTP requests, so on Linux each worker also moves, when the system lets it, into
a network namespace of its own, with no network at all (no_network).

Admission (WorkerPool.run), so that cheap queries keep flowing while expensive ones run:
- a query waits for a free worker at most `queue_wait` seconds, first come first served, then is
  answered 503 with Retry-After (never waits the whole query time limit in line);
- a query that has run longer than `long_after` seconds is *long*. While queries wait in line, at
  most workers-1 long queries run (1 when there is one worker): a query that turns long while
  workers-1 others are long and a query waits is stopped (503, Retry-After) and its worker
  replaced. When nobody waits it goes on as an extra long query, and is stopped the moment a
  query joins the line (the youngest extra one first); when a counted long query ends, the oldest
  extra one takes its place and is no longer stopped. So a waiting query always has a worker that
  is free, or running a query younger than `long_after`: a cheap query waits at most about
  `long_after` (plus a worker's start and the queries ahead of it), however many
  expensive ones arrive. The time a worker spends starting up is not counted in a query's time.
No query is classified by its text: only by how long it has actually run.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import threading
import time
from collections import deque
from dataclasses import dataclass


@dataclass
class Answer:
    status: int
    media_type: str
    body: bytes
    retry_after: int | None = None  # seconds, for a 503 the client may retry


def _error(status: int, message: str, retry_after: float | None = None) -> Answer:
    return Answer(status, "text/plain; charset=utf-8", (message + "\n").encode("utf-8"),
                  None if retry_after is None else max(1, math.ceil(retry_after)))


READY = "ready"  # a worker's first message: imports done, it takes queries from now on


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


def _worker_main(conn, memory_limit: int | None) -> None:  # pragma: no cover - runs in a child process
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
    from .protocol import NotAcceptable, negotiate, serialize_boolean, serialize_rows, serialize_triples

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
        try:
            deadline = time.monotonic() + req["timeout"]
            checked = check_query(req["query"], "this endpoint")
            dataset = dataset_options(checked, req.get("default_graphs", ()), req.get("named_graphs", ()))
            if req["snapshot"] != opened:
                store = None
                store = ox.Store.read_only(req["snapshot"])
                opened = req["snapshot"]
            cap = req["max_results"]
            result = store.query(checked.text, **dataset)
            if isinstance(result, ox.QueryBoolean):
                fmt, media = negotiate("results", req["accept"], req["format"])
                conn.send(Answer(200, media, serialize_boolean(bool(result), fmt)))
                continue
            kind = "graph" if isinstance(result, ox.QueryTriples) else "results"
            fmt, media = negotiate(kind, req["accept"], req["format"])
            items = []
            for item in result:
                items.append(item)
                if len(items) > cap:
                    raise OverflowError(f"the result has more than {cap} {'triples' if kind == 'graph' else 'rows'} "
                                        "(the server's result-size cap): add a LIMIT or narrow the query")
                if len(items) % 1000 == 0 and time.monotonic() > deadline:
                    raise TimeoutError("timeout")
            if kind == "graph":
                body = serialize_triples(items, fmt)
            else:
                body = serialize_rows([v.value for v in result.variables], items, fmt)
            conn.send(Answer(200, media, body))
        except QueryRefused as exc:
            conn.send(_error(exc.status, str(exc)))
        except NotAcceptable as exc:
            conn.send(_error(406, str(exc)))
        except SyntaxError as exc:
            conn.send(_error(400, f"SPARQL syntax error: {exc}"))
        except OverflowError as exc:
            conn.send(_error(413, str(exc)))
        except TimeoutError:
            conn.send(_error(503, "the query exceeded the server's time limit"))
        except MemoryError:
            conn.send(_error(503, "the query exceeded the worker's memory limit"))
            return
        except Exception as exc:  # a store error: report it, keep the worker
            conn.send(_error(500, f"query failed: {exc}"))


class Worker:
    def __init__(self, ctx, memory_limit):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, memory_limit), daemon=True)
        self.proc.start()
        child.close()
        self.ready = False
        self.role: str | None = None  # "long" (counted in max_long) or "spare" (stopped when a query waits)
        self.preempted = False

    def wait_ready(self, limit: float) -> bool:
        """Wait (at most `limit` seconds) until the process has started and said so."""
        if not self.ready and self.conn.poll(limit):
            self.ready = self.conn.recv() == READY
        return self.ready

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(timeout=5)
        self.conn.close()


class _Ticket:
    """A caller waiting in line for a worker; _release hands the worker over directly."""

    def __init__(self):
        self.event = threading.Event()
        self.worker: Worker | None = None


class WorkerPool:
    """A fixed number of query processes. Callers (threads) wait in line, first come first served, at
    most `queue_wait` seconds; while any wait, at most `max_long` queries (workers-1, at least 1) run
    longer than `long_after` seconds (see the module docstring)."""

    def __init__(self, size: int = 2, memory_limit: int | None = 2 * 1024 ** 3, queue_wait: float = 10.0,
                 long_after: float = 5.0):
        self.ctx = mp.get_context("spawn")
        self.memory_limit = memory_limit
        self.size = size
        self.queue_wait, self.long_after = queue_wait, long_after
        self.max_long = max(1, size - 1)
        self._idle: list[Worker] = [Worker(self.ctx, memory_limit) for _ in range(size)]
        self._line: deque[_Ticket] = deque()
        self._long = 0
        self._spare: list[Worker] = []  # long queries beyond max_long, run while nobody waits
        self._lock = threading.Lock()

    def _acquire(self, wait: float) -> Worker | None:
        with self._lock:
            if self._idle and not self._line:
                return self._idle.pop()
            ticket = _Ticket()
            self._line.append(ticket)
            if self._spare:  # every worker is busy with a long query: stop the youngest extra one
                youngest = self._spare.pop()
                youngest.role, youngest.preempted = None, True
                youngest.proc.kill()  # its caller sees the pipe close, answers 503 and replaces it
        ticket.event.wait(wait)
        with self._lock:
            if ticket.worker is None:  # not served in time: leave the line
                self._line.remove(ticket)
            return ticket.worker

    def _release(self, worker: Worker) -> None:
        with self._lock:
            if self._line:
                ticket = self._line.popleft()
                ticket.worker = worker
                ticket.event.set()
            else:
                self._idle.append(worker)

    def _replace(self, worker: Worker) -> None:
        worker.kill()
        self._release(Worker(self.ctx, self.memory_limit))

    def run(self, request: dict, timeout: float, wait: float | None = None) -> Answer:
        wait = self.queue_wait if wait is None else wait
        worker = self._acquire(wait)
        if worker is None:
            return _error(503, f"all {self.size} query workers are busy (waited {wait:g} s for one); retry shortly",
                          retry_after=1)
        try:
            answer, healthy = self._query(worker, request, timeout)
        except (EOFError, OSError, BrokenPipeError):
            healthy = False
            if worker.preempted:
                answer = _error(503, f"the query was stopped after running longer than {self.long_after:g} s, to free "
                                f"a worker for a waiting query (while queries wait, at most {self.max_long} long "
                                f"{'query runs' if self.max_long == 1 else 'queries run'}); retry later, or run it "
                                "with `dorsum query`", retry_after=min(timeout, 30))
            else:
                answer = _error(503, "the query stopped its worker (most likely it exceeded the memory limit); "
                                "the server goes on")
        self._end_long(worker)
        if healthy and not worker.preempted:
            self._release(worker)
        else:
            self._replace(worker)
        return answer

    def _query(self, worker: Worker, request: dict, timeout: float) -> tuple[Answer, bool]:
        """Run one query on `worker`: its answer, and whether the worker can serve again."""
        timed_out = _error(503, f"the query exceeded the {timeout:g} s time limit and was stopped")
        if not worker.wait_ready(max(timeout, 60.0)):  # start-up time is not the query's
            raise EOFError("the worker did not start")
        worker.conn.send(dict(request, timeout=timeout))
        first = min(self.long_after, timeout)
        if worker.conn.poll(first):
            return worker.conn.recv(), True
        if first >= timeout:
            return timed_out, False
        with self._lock:  # the query is long from now on
            if self._long < self.max_long:
                worker.role, self._long = "long", self._long + 1
            elif not self._line:  # nobody waits: it may go on, until somebody does (_acquire stops it)
                worker.role = "spare"
                self._spare.append(worker)
            else:
                return _error(503, f"the query was stopped after {self.long_after:g} s: the server already runs "
                              f"{self.max_long} long {'query' if self.max_long == 1 else 'queries'} and other "
                              "queries are waiting (it keeps a worker for short ones); retry later, or run it with "
                              "`dorsum query`", retry_after=min(timeout, 30)), False
        if worker.conn.poll(timeout - first):
            return worker.conn.recv(), True
        return timed_out, False

    def _end_long(self, worker: Worker) -> None:
        with self._lock:
            if worker.role == "long":
                self._long -= 1
                if self._spare:  # the oldest extra long query takes the freed place: nobody stops it now
                    promoted = self._spare.pop(0)
                    promoted.role, self._long = "long", self._long + 1
            elif worker.role == "spare":
                self._spare.remove(worker)
            worker.role = None

    def close(self) -> None:
        with self._lock:
            for w in self._idle:
                w.kill()
            self._idle = []
