"""`dorsum query` under the limits of the endpoint's query workers (query.workers).

An Oxigraph query cannot be stopped from Python, and a query can eat all memory: a huge join, or a
full scan of a store whose corrupted data file makes the reader allocate without end (seen growing
to several GB, then aborting with a Rust out-of-memory message). As in the endpoint, the query runs
in a child process started the same way (spawn) with the same address-space limit (RLIMIT_AS, the
workers' default), and the parent waits for it up to a time limit (`dorsum serve --timeout`'s
default), then kills it. Every failure is one line that says what happened and what to do; a
store that reads as corrupted is reported as damaged (StoreUnusable, exit 2).
"""

from __future__ import annotations

import inspect
import multiprocessing as mp
import os
import signal
import sys
import tempfile
from pathlib import Path

from ..errors import DorsumError
from .workers import WorkerPool

MEMORY_LIMIT: int | None = inspect.signature(WorkerPool).parameters["memory_limit"].default  # the workers' own
TIMEOUT = 30.0  # seconds, as `dorsum serve --timeout`


class QueryStopped(DorsumError):
    """The query went over a limit and was stopped (exit 1)."""

    exit_code = 1


def limit_memory(memory_limit: int | None) -> None:
    """The workers' limit: the address space of this process (as query.workers._worker_main sets it)."""
    import resource

    if memory_limit:
        try:
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
        except (ValueError, OSError):
            pass


def query_read_only(store_path, text: str, fmt: str, open_store, run_query, attempts: int = 3) -> str:
    """The query over a read-only view of the store. A `dorsum load` writing the store meanwhile
    compacts its files, and a view opened before may find one gone: the view is reopened (it then
    sees the load's latest committed chunks) and the query run again."""
    from ..store.case_store import StoreError

    for attempt in range(attempts):
        store = open_store(store_path, read_only=True)
        try:
            return run_query(store, text, fmt)
        except FileNotFoundError as exc:
            if attempt == attempts - 1:
                raise StoreError(f"the store's files changed {attempts} times while the query read them ({exc}): "
                                 "a `dorsum load` is writing it, or the store is damaged. Retry, or query when the "
                                 "load has finished.") from exc
        finally:
            del store
    raise AssertionError("unreachable")


def _child(conn, memory_limit, timeout, store_path: str, text: str, fmt: str,
           stderr_path: str, graphs=((), ())) -> None:  # pragma: no cover - runs in the child
    fd = os.open(stderr_path, os.O_WRONLY | os.O_APPEND)  # what the child prints (a Rust abort's message)
    os.dup2(fd, 2)
    os.close(fd)
    from .workers import no_network

    no_network()  # as the endpoint's workers: no request can leave this process (sparql_safety refuses SERVICE too)
    limit_memory(memory_limit)
    if timeout:  # if the parent is gone (killed), the child still ends: SIGALRM's default action
        signal.alarm(int(timeout) + 10)
    try:
        from functools import partial

        from .analytics import run_query
        from ..store.case_store import StoreError, open_store

        run = partial(run_query, default_graphs=graphs[0], named_graphs=graphs[1])
        reply = ("ok", query_read_only(store_path, text, fmt, open_store, run))
    except MemoryError:
        reply = ("memory", "")
    except StoreError as exc:
        reply = ("store", str(exc), exc.exit_code)
    except SyntaxError as exc:
        reply = ("syntax", str(exc))
    except Exception as exc:  # noqa: BLE001 - told to the parent, which words it
        reply = ("error", f"{type(exc).__name__}: {exc}")
    signal.alarm(0)
    conn.send(reply)
    conn.close()


def run_limited(store_path, text: str, fmt: str, timeout: float | None = TIMEOUT,
                memory_limit: int | None = None, default_graphs=(), named_graphs=()) -> str:
    """Run `text` over the store at `store_path` in a child process under `memory_limit` (default:
    the workers' MEMORY_LIMIT) and `timeout` seconds; return its output in `fmt`. `default_graphs`
    and `named_graphs` are the protocol's default-graph-uri / named-graph-uri (analytics.run_query). Raises
    StoreError/StoreUnusable (the store), SyntaxError (the query) or QueryStopped (a limit)."""
    from ..store.case_store import StoreError, StoreUnusable, check_store

    check_store(store_path)  # a missing or non-store directory needs no child to say so
    if memory_limit is None:
        memory_limit = MEMORY_LIMIT
    ctx = mp.get_context("spawn")
    fd, stderr_path = tempfile.mkstemp(prefix="dorsum-query-", suffix=".stderr")
    os.close(fd)
    reader, writer = ctx.Pipe(duplex=False)
    reply, timed_out, said = None, False, ""
    try:
        proc = ctx.Process(target=_child, args=(writer, memory_limit, timeout, str(store_path), text, fmt, stderr_path,
                                                         (tuple(default_graphs), tuple(named_graphs))),
                           daemon=True)
        proc.start()
        writer.close()
        try:
            if reader.poll(timeout):  # data, or the end of the pipe when the child died
                try:
                    reply = reader.recv()
                except (EOFError, OSError):
                    pass
            else:
                timed_out = True
        finally:
            if reply is None and proc.is_alive():  # over the time limit, or interrupted
                proc.kill()
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join()
            reader.close()
        said = Path(stderr_path).read_text(encoding="utf-8", errors="replace")
    finally:
        Path(stderr_path).unlink(missing_ok=True)
    if said and reply is not None:
        sys.stderr.write(said)  # warnings of a query that ended normally
    if timed_out:
        raise QueryStopped(f"the query exceeded the {timeout:g} s time limit and was stopped: pass a larger "
                           "--timeout for a slow query over a large store")
    if reply is None or reply[0] == "memory":
        limit = _size(memory_limit) if memory_limit else "available"
        first = next((line.strip() for line in said.splitlines() if line.strip()), "")
        what = (f"the query went over the {limit} memory limit and was stopped" if reply else
                f"the query's process ended with {_how(proc.exitcode)}" + (f' ("{first[:120]}")' if first else "")
                + f", most likely over the {limit} memory limit")
        raise QueryStopped(f"{what}: the query builds a result too large for the limit, or the store at {store_path} "
                           "is damaged (a corrupted data file can make a scan allocate without end); narrow the "
                           "query, and if it should fit, restore a backup or load the cases again into a new directory")
    kind, message = reply[0], reply[1]
    if kind == "ok":
        return message
    if kind == "store":
        raise (StoreUnusable if reply[2] == 2 else StoreError)(message)
    if kind == "syntax":
        raise SyntaxError(message)
    if "corrupt" in message.lower():  # RocksDB's "Corruption: block checksum mismatch ...", and the like
        raise StoreUnusable(f"the store at {store_path} is damaged: reading it failed ({' '.join(message.split())}); "
                            "it was left as it is: restore a backup, or load the cases again into a new directory")
    raise StoreError(f"the query failed on the store at {store_path}: {' '.join(message.split())}")


def _size(n: int) -> str:
    return f"{n / 1024 ** 3:g} GiB" if n % 1024 ** 3 == 0 else f"{n / 1024 ** 2:.0f} MiB"


def _how(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return signal.Signals(-exitcode).name
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit code {exitcode}"
