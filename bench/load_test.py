"""A bounded load test of `dorsum serve` on loopback: 50 concurrent clients, a fixed number of
requests mixing the saved analytics queries, POST /classify and bad requests. Prints p50/p95
latency, the error rate, and whether every good request got the correct answer. Not a test.

Usage: python bench/load_test.py [--cases 300] [--requests 400] [--clients 50]
"""

from __future__ import annotations

import argparse
import random
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--clients", type=int, default=50)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="dorsum-load-"))
    src = tmp / "cases.jsonl"
    corpus.write(src, args.cases)
    store = tmp / "store"
    subprocess.run([sys.executable, "-m", "reasoner.cli", "load", str(src), "--store", str(store)], cwd=ROOT,
                   capture_output=True, check=False)
    queries = {p.stem: SPARQL_PREFIXES + p.read_text() for p in sorted((ROOT / "queries" / "analytics").glob("*.rq"))}
    with running_server(store, "--timeout", "30") as base:
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
