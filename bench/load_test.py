"""A bounded load test of `dorsum serve` on loopback. Not a test. Three scenarios (--scenario):

- basic: 50 concurrent clients, a fixed number of requests mixing the saved analytics queries,
  POST /classify and bad requests. Prints p50/p95 latency, the error rate, and whether every good
  request got the correct answer.
- half-open: opens --half-open connections (1500) that each send part of a request header and
  then stall, holds them up to --hold seconds (30) and prints how many the server still keeps open
  over time, and whether a fresh GET /health answers meanwhile.
- mix: --clients clients send --requests queries, --expensive of them (10%) a cross join that runs
  until the server's time limit (--timeout 10 here), the rest the saved analytics queries (cheap:
  50-150 ms each alone). Prints the share of cheap queries answered 200 and 503 and their p50/p95
  latency, and what happened to the expensive ones.

--server-root runs the server from another checkout (e.g. `git worktree add /tmp/old HEAD~1`) to
compare before and after; --server-arg passes an option to `dorsum serve` (repeatable).

Usage: python bench/load_test.py [--scenario basic|half-open|mix|all] [--cases 300] [--requests 400]
       [--clients 50] [--half-open 1500] [--hold 30] [--expensive 0.1] [--server-root DIR]
"""

from __future__ import annotations

import argparse
import random
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import corpus  # noqa: E402
from serving import running_server  # noqa: E402
from reasoner.namespaces import SPARQL_PREFIXES  # noqa: E402


EXPENSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"  # runs until the time limit


def pct(sorted_values: list[float], p: float) -> float:
    return sorted_values[max(0, int(p * len(sorted_values)) - 1)] if sorted_values else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", choices=["basic", "half-open", "mix", "all"], default="basic")
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--half-open", type=int, default=1500, help="half-open connections (half-open scenario)")
    ap.add_argument("--hold", type=float, default=30.0, help="how long to hold them, seconds")
    ap.add_argument("--expensive", type=float, default=0.1, help="share of expensive queries (mix scenario)")
    ap.add_argument("--server-root", type=Path, default=ROOT, help="the checkout whose server runs")
    ap.add_argument("--server-arg", action="append", default=[], help="an option for dorsum serve (repeatable)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="dorsum-load-"))
    src = tmp / "cases.jsonl"
    corpus.write(src, args.cases)
    store = tmp / "store"
    done = subprocess.run([sys.executable, "-m", "reasoner.cli", "load", str(src), "--store", str(store)],
                          cwd=args.server_root, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"dorsum load failed: {done.stderr[-2000:]}")
    queries = {p.stem: SPARQL_PREFIXES + p.read_text() for p in sorted((ROOT / "queries" / "analytics").glob("*.rq"))}
    extra = [a for opt in args.server_arg for a in opt.split()]
    print(f"server from {args.server_root}, extra options {extra or 'none'}")
    if args.scenario in ("half-open", "all"):
        with running_server(store, "--timeout", "30", *extra, root=args.server_root) as base:
            half_open(base, args.half_open, args.hold)
    if args.scenario in ("mix", "all"):
        with running_server(store, "--timeout", "10", *extra, root=args.server_root) as base:
            mix(base, queries, args.requests, args.clients, args.expensive)
    if args.scenario in ("basic", "all"):
        with running_server(store, "--timeout", "30", *extra, root=args.server_root) as base:
            basic(base, queries, args)


def half_open(base: str, n: int, hold: float) -> None:
    """Open n connections, each sending a partial request header, and watch how long the server keeps them."""
    host, port = base.removeprefix("http://").split(":")
    partial = f"GET /health HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: slow".encode()
    sel = selectors.DefaultSelector()
    opened, refused = 0, 0
    t0 = time.perf_counter()
    for _ in range(n):
        s = socket.socket()
        s.setblocking(True)
        s.settimeout(5)
        try:
            s.connect((host, int(port)))
            s.sendall(partial)
        except OSError:
            refused += 1
            s.close()
            continue
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, time.perf_counter())
        opened += 1
    print(f"half-open: {opened} connections opened and sent a partial header in {time.perf_counter() - t0:.1f} s "
          f"({refused} failed to connect)")
    closed_at: list[float] = []
    answered: dict[int, int] = {}
    checkpoints = sorted(c for c in {1.0, 2.0, 5.0, 10.0, 20.0, hold} if c <= hold)
    health = []
    start = time.perf_counter()
    while True:
        now = time.perf_counter() - start
        if checkpoints and now >= checkpoints[0]:
            cp = checkpoints.pop(0)
            t = time.perf_counter()
            try:
                code = httpx.get(base + "/health", timeout=5).status_code
            except httpx.HTTPError as exc:
                code = type(exc).__name__
            health.append((cp, code, time.perf_counter() - t))
            print(f"  at {cp:4.0f} s: {opened - len(closed_at):5} still open; a fresh GET /health: {code} "
                  f"in {(time.perf_counter() - t) * 1000:.0f} ms")
        if not checkpoints:
            break
        if len(closed_at) == opened:
            t = time.perf_counter()
            try:
                code = httpx.get(base + "/health", timeout=5).status_code
            except httpx.HTTPError as exc:
                code = type(exc).__name__
            print(f"  all closed by {time.perf_counter() - start:.1f} s; a fresh GET /health: {code} "
                  f"in {(time.perf_counter() - t) * 1000:.0f} ms")
            break
        for key, _ in sel.select(timeout=0.2):
            try:
                data = key.fileobj.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if data:
                status = data.split(b" ", 2)[1:2]
                answered[int(status[0]) if status and status[0].isdigit() else 0] = \
                    answered.get(int(status[0]) if status and status[0].isdigit() else 0, 0) + 1
                continue
            closed_at.append(time.perf_counter() - start)
            sel.unregister(key.fileobj)
            key.fileobj.close()
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    closed_at.sort()
    print(f"half-open: {len(closed_at)} of {opened} closed by the server within {hold:g} s "
          f"(median at {pct(closed_at, 0.5):.1f} s, last at {closed_at[-1] if closed_at else float('nan'):.1f} s); "
          f"{opened - len(closed_at)} still held at the end; responses seen on them: {answered or 'none'}")


def mix(base: str, queries: dict, requests: int, clients: int, share: float) -> None:
    """Cheap analytics queries with a share of expensive ones that run until the time limit."""
    accept = {"Accept": "application/sparql-results+json"}
    expected = {name: httpx.post(base + "/sparql", data={"query": q}, headers=accept, timeout=120).json()
                for name, q in queries.items()}
    rng = random.Random(13)
    plan = ["expensive" if rng.random() < share else rng.choice(list(queries)) for _ in range(requests)]

    def one(what):
        t = time.perf_counter()
        with httpx.Client(timeout=120) as client:
            q = EXPENSIVE if what == "expensive" else queries[what]
            r = client.post(base + "/sparql", data={"query": q}, headers=accept)
        ok = what == "expensive" or r.status_code != 200 or r.json() == expected[what]
        return what, time.perf_counter() - t, r.status_code, ok, r.headers.get("retry-after")

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as ex:
        results = list(ex.map(one, plan))
    wall = time.perf_counter() - t0
    cheap = [r for r in results if r[0] != "expensive"]
    exp = [r for r in results if r[0] == "expensive"]
    def codes(rs):
        out: dict[int, int] = {}
        for r in rs:
            out[r[2]] = out.get(r[2], 0) + 1
        return dict(sorted(out.items()))
    lat = sorted(r[1] for r in cheap)
    lat200 = sorted(r[1] for r in cheap if r[2] == 200)
    n = max(len(cheap), 1)
    print(f"mix: {len(results)} queries, {clients} clients, {len(exp)} expensive ({share:.0%}), server --timeout 10, "
          f"{wall:.0f} s")
    print(f"  cheap n={len(cheap)}: 200 {sum(r[2] == 200 for r in cheap) / n:.1%}, 503 "
          f"{sum(r[2] == 503 for r in cheap) / n:.1%} {codes(cheap)}; latency p50 {statistics.median(lat) * 1000:.0f} ms, "
          f"p95 {pct(lat, 0.95) * 1000:.0f} ms (200s only: p50 {statistics.median(lat200) * 1000 if lat200 else float('nan'):.0f} ms, "
          f"p95 {pct(lat200, 0.95) * 1000:.0f} ms); wrong answers: {sum(not r[3] for r in cheap)}; "
          f"503s with Retry-After: {sum(1 for r in cheap if r[2] == 503 and r[4])}")
    elat = sorted(r[1] for r in exp)
    print(f"  expensive n={len(exp)}: {codes(exp)}; latency p50 {statistics.median(elat) if elat else float('nan'):.1f} s, "
          f"max {elat[-1] if elat else float('nan'):.1f} s")


def basic(base: str, queries: dict, args) -> None:
    # the correct answers, computed once before the load
    accept = {"Accept": "application/sparql-results+json"}
    expected = {name: httpx.post(base + "/sparql", data={"query": q}, headers=accept, timeout=120).json()
                for name, q in queries.items()}
    cases = list(corpus.generate(20, seed=99))
    expected_cls = {c["id"]: httpx.post(base + "/classify", json=c, timeout=120).json() for c in cases}
    rng = random.Random(5)
    plan = []
    for i in range(args.requests):
        kind = rng.choices(["query", "classify", "bad"], weights=[6, 2, 2])[0]
        if kind == "query":
            plan.append(("query", rng.choice(list(queries))))
        elif kind == "classify":
            plan.append(("classify", rng.choice(cases)["id"]))
        else:
            plan.append(("bad", rng.choice(["syntax", "update", "service", "huge", "badjson"])))
    by_id = {c["id"]: c for c in cases}

    def one(item):
        kind, what = item
        t = time.perf_counter()
        with httpx.Client(timeout=120) as client:
            if kind == "query":
                r = client.post(base + "/sparql", data={"query": queries[what]}, headers=accept)
                ok = r.status_code == 200 and r.json() == expected[what]
            elif kind == "classify":
                r = client.post(base + "/classify", json=by_id[what])
                ok = r.status_code == 200 and r.json() == expected_cls[what]
            else:
                if what == "syntax":
                    r = client.get(base + "/sparql", params={"query": "SELEKT *"})
                elif what == "update":
                    r = client.post(base + "/sparql", content="DROP ALL", headers={"Content-Type": "application/sparql-update"})
                elif what == "service":
                    r = client.get(base + "/sparql", params={"query": "SELECT * { SERVICE <http://example.org/> { ?s ?p ?o } }"})
                elif what == "huge":
                    r = client.post(base + "/classify", content=b"{" + b" " * 2_000_000 + b"}")
                else:
                    r = client.post(base + "/classify", content=b'{"id": ')
                ok = 400 <= r.status_code < 500  # refused with a clear 4xx, never a 5xx
        return kind, time.perf_counter() - t, ok, r.status_code

    t0 = time.perf_counter()
    with ThreadPoolExecutor(args.clients) as ex:
        results = list(ex.map(one, plan))
    wall = time.perf_counter() - t0
    for kind in ("query", "classify", "bad"):
        lat = sorted(d for k, d, _, _ in results if k == kind)
        if lat:
            print(f"{kind:9} n={len(lat):4} p50 {statistics.median(lat) * 1000:7.0f} ms  p95 {lat[int(0.95 * len(lat)) - 1] * 1000:7.0f} ms")
    good = [r for r in results if r[0] != "bad"]
    wrong = [r for r in results if not r[2]]
    print(f"{len(results)} requests, {args.clients} clients, {len(results) / wall:.1f} requests/s; "
          f"error rate {sum(1 for r in good if r[3] >= 400) / max(len(good), 1):.1%}; "
          f"every good request correct: {all(r[2] for r in good)}; bad requests refused with 4xx: "
          f"{all(r[2] for r in results if r[0] == 'bad')}; wrong: {len(wrong)}")


if __name__ == "__main__":
    main()
