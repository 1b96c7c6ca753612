"""The endpoint's memory as results grow (issue 18, target 4): `dorsum serve` on a store answers
`SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT N` for each N, read by a client as it
arrives, while the resident memory (RSS) of the server process and of all its children (the query
workers) is sampled every 20 ms. Each row: N, the bytes and seconds of the answer, the server's RSS
at rest before it (baseline: after a small warm-up query, so the workers are loaded) and its peak
during it (server + workers, and each part; and their private memory, without the file-backed
pages of the store the kernel maps for them), and the same answer serialised by pyoxigraph in a
process of its own (Store.read_only, QuerySolutions.serialize to a counting sink) as the
comparison: its seconds and peak RSS.

The store needs more than max(sizes) quads (a 10k-case store of bench/corpus.py has ~2.1M).

    python bench/streaming.py --store DIR [--sizes 10000,100000,1000000] [--format json]
        [--root CHECKOUT] [--serve-option=--max-results=2000000 ...] [--warm]

--root serves with another checkout's `reasoner` (e.g. a `git worktree` of an older commit, to
measure before/after); --serve-option passes options to `dorsum serve` (as --max-results, which
an older server needs to answer above its default cap of 100,000).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving import start_server, stop_server  # noqa: E402 - bench/serving.py

QUERY = "SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT %d"
ACCEPT = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
          "csv": "text/csv", "tsv": "text/tab-separated-values"}
PAGE = os.sysconf("SC_PAGE_SIZE")


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(entry))
    return kids


def _statm(pid: int) -> tuple[int, int]:
    """(resident bytes, private bytes) of `pid`; private: without the file-backed and shared pages
    (statm's resident minus shared: the process's own memory, not the store's files the kernel maps
    for it)."""
    try:
        with open(f"/proc/{pid}/statm") as fh:
            fields = fh.read().split()
        return int(fields[1]) * PAGE, (int(fields[1]) - int(fields[2])) * PAGE
    except (OSError, IndexError, ValueError):
        return 0, 0


def _descendants(pid: int) -> list[int]:
    kids = _children()
    todo, out = list(kids.get(pid, [])), []
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def tree_memory(pid: int) -> tuple[int, int, int]:
    """(RSS of `pid`, RSS of all its descendants, private memory of them all), bytes: one walk."""
    server, server_private = _statm(pid)
    below = [_statm(p) for p in _descendants(pid)]
    return server, sum(r for r, _ in below), server_private + sum(v for _, v in below)


class Sampler:
    """Peak RSS of a process tree, sampled every `every` seconds in a thread, until stop()."""

    def __init__(self, pid: int, every: float = 0.02):
        self.pid, self.every = pid, every
        self.peak_total = self.peak_server = self.peak_workers = self.peak_private = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while True:
            server, workers, private = tree_memory(self.pid)
            self.peak_total = max(self.peak_total, server + workers)
            self.peak_server, self.peak_workers = max(self.peak_server, server), max(self.peak_workers, workers)
            self.peak_private = max(self.peak_private, private)
            if self._stop.wait(self.every):
                return

    def stop(self) -> "Sampler":
        self._stop.set()
        self._thread.join()
        return self


def _mib(n: int) -> float:
    return round(n / 2 ** 20, 1)


def _ask(base: str, n: int, fmt: str) -> tuple[int, int, float]:
    """(status, bytes, seconds) of the answer for N rows, read as it arrives."""
    size, start = 0, time.perf_counter()
    with httpx.stream("POST", base + "/sparql", data={"query": QUERY % n}, headers={"Accept": ACCEPT[fmt]},
                      timeout=900) as r:
        for chunk in r.iter_raw():
            size += len(chunk)
        status = r.status_code
    return status, size, time.perf_counter() - start


IN_PROCESS = """
import resource, sys, time, pyoxigraph as ox
class Count:
    n = 0
    def write(self, b):
        Count.n += len(b)
        return len(b)
    def flush(self):
        pass
store = ox.Store.read_only(sys.argv[1])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
store.query(sys.argv[2], use_default_graph_as_union=True).serialize(Count(), getattr(ox.QueryResultsFormat, sys.argv[3]))
print(time.perf_counter() - t, Count.n, base, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def in_process(store_dir: Path, n: int, fmt: str) -> dict:
    """pyoxigraph's own serialisation of the same answer, in a fresh process: seconds, bytes, peak RSS."""
    out = subprocess.run([sys.executable, "-c", IN_PROCESS, str(store_dir), QUERY % n, fmt.upper()],
                         capture_output=True, text=True, check=True).stdout.split()
    seconds, size, base_kib, peak_kib = float(out[0]), int(out[1]), int(out[2]), int(out[3])
    return {"inproc_seconds": round(seconds, 2), "inproc_bytes": size, "inproc_peak_rss_mib": round(peak_kib / 1024, 1),
            "inproc_opened_rss_mib": round(base_kib / 1024, 1)}


def measure_streaming(store_dir, sizes=(10_000, 100_000, 1_000_000), fmt: str = "json", serve_options=(),
                      root: Path = ROOT, compare: bool = True, warm: bool = False) -> list[dict]:
    """For each N in `sizes`: a dict with rows, status, bytes, seconds, baseline_rss_mib and
    peak_rss_mib (server + workers), peak_server_rss_mib, peak_workers_rss_mib, peak_private_mib
    (server + workers without file-backed and shared pages), and (compare) the in-process
    pyoxigraph figures inproc_seconds, inproc_bytes, inproc_peak_rss_mib. warm: the largest answer
    is asked once before any is measured, so the workers' store cache (RocksDB's, kept between
    queries, bounded) already holds what the answers read: what still grows with N is what an
    answer itself holds."""
    store_dir = Path(store_dir)
    out = []
    proc, base = start_server(store_dir, "--timeout", "600", *serve_options, root=Path(root))
    try:
        if warm:  # the largest answer once: the workers' store cache holds what the answers read
            _ask(base, max(sizes), fmt)
        for n in sizes:
            _ask(base, 100, fmt)  # warm-up: the workers are loaded and have opened the snapshot
            time.sleep(0.5)
            rest = sum(tree_memory(proc.pid)[:2])
            sampler = Sampler(proc.pid)
            status, size, seconds = _ask(base, n, fmt)
            sampler.stop()
            out.append({"rows": n, "status": status, "bytes": size, "seconds": round(seconds, 2),
                        "baseline_rss_mib": _mib(rest), "peak_rss_mib": _mib(sampler.peak_total),
                        "peak_server_rss_mib": _mib(sampler.peak_server),
                        "peak_workers_rss_mib": _mib(sampler.peak_workers),
                        "peak_private_mib": _mib(sampler.peak_private)})
    finally:
        stop_server(proc)
    if compare:  # after the server has let the store go
        for row in out:
            row.update(in_process(store_dir, row["rows"], fmt))
    return out


COLUMNS = [("rows", "rows"), ("status", "status"), ("bytes", "bytes"), ("seconds", "s"),
           ("baseline_rss_mib", "rest MiB"), ("peak_rss_mib", "peak MiB"), ("peak_server_rss_mib", "server MiB"),
           ("peak_workers_rss_mib", "workers MiB"), ("peak_private_mib", "private MiB"), ("inproc_seconds", "pyox s"), ("inproc_peak_rss_mib", "pyox MiB")]


def table(rows: list[dict]) -> str:
    head = [label for _, label in COLUMNS]
    body = [[str(r.get(key, "")) for key, _ in COLUMNS] for r in rows]
    widths = [max(len(x) for x in col) for col in zip(head, *body)]
    return "\n".join(" | ".join(x.rjust(w) for x, w in zip(line, widths)) for line in [head, *body])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", required=True, type=Path)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--format", default="json", choices=sorted(ACCEPT))
    ap.add_argument("--root", type=Path, default=ROOT, help="the checkout whose reasoner serves")
    ap.add_argument("--serve-option", action="append", default=[], help="an option for dorsum serve (repeatable)")
    ap.add_argument("--no-compare", action="store_true", help="skip the in-process pyoxigraph figures")
    ap.add_argument("--warm", action="store_true", help="ask the largest answer once before measuring")
    args = ap.parse_args(argv)
    sizes = [int(x) for x in args.sizes.split(",") if x]
    options = [part for opt in args.serve_option for part in opt.split("=", 1)]
    print(table(measure_streaming(args.store, sizes, args.format, options, args.root, not args.no_compare, args.warm)))


if __name__ == "__main__":
    main()
