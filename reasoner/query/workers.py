"""Query workers: SPARQL queries run in separate processes, so a query can be stopped.

An Oxigraph query cannot be cancelled from Python, and a cross join can eat all memory. Each worker
is a process with its own memory limit that opens a read-only snapshot (a RocksDB checkpoint) of
the store; the server waits for its answer up to the timeout, and on timeout or crash kills it,
starts a fresh one and answers with a clear error. The server keeps serving.

Answers stream (query.answering): the worker writes a SELECT or CONSTRUCT answer down its pipe as
Oxigraph produces it, and run() returns a Stream the server reads chunk by chunk while it sends
them, so no answer is ever whole in either process. The time limit counts until the last byte:
a watcher thread (_Run) kills and replaces a worker still running or streaming at the limit, even
while the server waits on a slow client; a stream the server has begun sending then ends short.

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
No query is classified by its text: only by how long it has actually run (streaming included).
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from collections import deque

from .answering import READY, Answer, no_network, worker_main  # noqa: F401 - no_network: limits and tests use it here
from .answering import error as _error


class Worker:
    def __init__(self, ctx, memory_limit):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=worker_main, args=(child, memory_limit), daemon=True)
        self.proc.start()
        child.close()
        self.ready = False
        self.role: str | None = None  # "long" (counted in max_long) or "spare" (stopped when a query waits)
        self.preempted = False
        self.run: _Run | None = None  # the query it runs

    def wait_ready(self, limit: float) -> bool:
        """Wait (at most `limit` seconds) until the process has started and said so."""
        if not self.ready and self.conn.poll(limit):
            self.ready = self.conn.recv() == READY
        return self.ready

    def stop(self) -> None:
        """End the process (its pipe stays open: the thread reading it sees its end)."""
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(timeout=5)

    def kill(self) -> None:
        self.stop()
        self.conn.close()


class _Ticket:
    """A caller waiting in line for a worker; _release hands the worker over directly."""

    def __init__(self):
        self.event = threading.Event()
        self.worker: Worker | None = None


class _Run:
    """One query on one worker, from the request to the last byte of its answer. A watcher thread
    makes it long after `long_after` seconds (WorkerPool._turn_long) and stops it at the time limit,
    whether it still runs or streams its answer (stop: the worker is killed and replaced at once,
    even while the thread that reads the answer waits on a slow client)."""

    def __init__(self, pool: WorkerPool, worker: Worker, timeout: float):
        self.pool, self.worker, self.timeout = pool, worker, timeout
        self.deadline = time.monotonic() + timeout
        self.reason: Answer | None = None  # why it was stopped
        self.settled, self.returned = False, False
        self.done = threading.Event()
        worker.run = self
        threading.Thread(target=self._watch, daemon=True, name="dorsum-query-watch").start()

    def _watch(self) -> None:
        first = min(self.pool.long_after, self.timeout)
        if first < self.timeout and not self.done.wait(first):
            with self.pool._lock:
                refused = None if self.settled else self.pool._turn_long(self.worker)
            if refused is not None:
                self.stop(refused)
                return
        if not self.done.wait(max(0.0, self.deadline - time.monotonic())):
            self.stop(_error(503, f"the query exceeded the {self.timeout:g} s time limit and was stopped"))

    def stop(self, reason: Answer) -> None:
        """Stop the query (any thread): kill its worker and put a fresh one in its place."""
        with self.pool._lock:
            if self.settled:
                return
            self.reason = reason
        self._settle(False)

    def _settle(self, healthy: bool) -> None:
        with self.pool._lock:
            if self.settled:
                return
            self.settled = True
        self.done.set()
        self.pool._end_long(self.worker)
        self.worker.run = None
        if healthy and not self.worker.preempted:
            self.returned = True
            self.pool._release(self.worker)
        else:
            self.worker.stop()
            self.pool._release(Worker(self.pool.ctx, self.pool.memory_limit))

    def finish(self, healthy: bool) -> None:
        """The reading thread is done with the worker: back to the pool, or (not healthy) replaced."""
        self._settle(healthy)
        if not self.returned:
            self.worker.conn.close()

    def receive(self, raw: bool = False):
        """The worker's next message (raw: bytes); EOFError when the worker has ended (see reason)."""
        conn = self.worker.conn
        if not conn.poll(max(0.0, self.deadline - time.monotonic()) + 5):  # the watcher stops it before
            self.stop(_error(503, f"the query exceeded the {self.timeout:g} s time limit and was stopped"))
            raise EOFError("time limit")
        return conn.recv_bytes() if raw else conn.recv()

    def failed(self) -> Answer:
        """The answer for a worker that ended before answering."""
        if self.reason is not None:
            return self.reason
        return _error(503, "the query stopped its worker (most likely it exceeded the memory limit); the server goes on")


class Stream:
    """A streamed answer (status 200, media_type): its bytes come from next_chunk until None; then
    `complete` says whether all came, else `failure` says why not. close() when done with it."""

    status, retry_after = 200, None

    def __init__(self, run: _Run, media_type: str):
        self.run, self.media_type = run, media_type
        self.complete, self.failure = False, None

    def next_chunk(self) -> bytes | None:
        if self.complete or self.failure is not None:
            return None
        try:
            msg = self.run.receive(raw=True)
        except (EOFError, OSError):
            self.failure = self.run.failed().body.decode("utf-8", "replace").strip()
            return None
        if msg[:1] == b"D":
            return msg[1:]
        if msg[:1] == b"E":
            self.complete = True
        else:
            self.failure = msg[1:].decode("utf-8", "replace").strip()
        return None

    def close(self) -> None:
        self.run.finish(self.complete)


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
        youngest = None
        with self._lock:
            if self._idle and not self._line:
                return self._idle.pop()
            ticket = _Ticket()
            self._line.append(ticket)
            if self._spare:  # every worker is busy with a long query: stop the youngest extra one
                youngest = self._spare.pop()
                youngest.role, youngest.preempted = None, True
        if youngest is not None and youngest.run is not None:  # its replacement goes to the line
            youngest.run.stop(_error(
                503, f"the query was stopped after running longer than {self.long_after:g} s, to free a worker for "
                f"a waiting query (while queries wait, at most {self.max_long} long "
                f"{'query runs' if self.max_long == 1 else 'queries run'}); retry later, or run it with "
                "`dorsum query`", retry_after=min(youngest.run.timeout, 30)))
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

    def run(self, request: dict, timeout: float, wait: float | None = None) -> Answer | Stream:
        """The answer to `request`: a whole Answer (errors, ASK, small answers), or a Stream, which the
        caller reads to its end and closes (it holds the worker until then)."""
        wait = self.queue_wait if wait is None else wait
        worker = self._acquire(wait)
        if worker is None:
            return _error(503, f"all {self.size} query workers are busy (waited {wait:g} s for one); retry shortly",
                          retry_after=1)
        try:
            if not worker.wait_ready(max(timeout, 60.0)):  # start-up time is not the query's
                raise EOFError("the worker did not start")
            worker.conn.send(dict(request, timeout=timeout))
        except (EOFError, OSError):
            run = _Run(self, worker, timeout)
            run.finish(False)
            return run.failed()
        run = _Run(self, worker, timeout)
        try:
            first = run.receive()
        except (EOFError, OSError):
            run.finish(False)
            return run.failed()
        if isinstance(first, tuple) and first[0] == "stream":
            return Stream(run, first[1])
        run.finish(run.reason is None and first.status != 503)  # a worker's 503: it ran out of memory and ends
        return first

    def _turn_long(self, worker: Worker) -> Answer | None:
        """The query on `worker` has run `long_after` seconds (called with the lock held): count it as
        long, or as an extra long one while nobody waits; or, when other queries wait and max_long
        already run, the answer to stop it with."""
        if self._long < self.max_long:
            worker.role, self._long = "long", self._long + 1
        elif not self._line:  # nobody waits: it may go on, until somebody does (_acquire stops it)
            worker.role = "spare"
            self._spare.append(worker)
        else:
            return _error(503, f"the query was stopped after {self.long_after:g} s: the server already runs "
                          f"{self.max_long} long {'query' if self.max_long == 1 else 'queries'} and other "
                          "queries are waiting (it keeps a worker for short ones); retry later, or run it with "
                          "`dorsum query`", retry_after=min(worker.run.timeout if worker.run else 30, 30))
        return None

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
