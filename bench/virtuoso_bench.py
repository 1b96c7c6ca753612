"""Each saved analytics query on the embedded store and on Virtuoso, side by side (issue 19).

    python bench/virtuoso_bench.py --cases 10000 [--jobs 2] [--via auto|push|bulk] [--json OUT]

Builds the embedded store from the deterministic corpus (bench/corpus.py) with `dorsum load`,
starts a temporary Virtuoso (tests/virtuoso.py: Debian's virtuoso-opensource, `make virtuoso`),
writes the store into it -- `dorsum push` (one Graph Store PUT per graph), or Virtuoso's own bulk
loader on the store's N-Quads (ld_dir + rdf_loader_run, as the README documents), `auto`: push up
to 2,000 cases, the bulk loader above (a PUT costs Virtuoso ~50 ms whatever its size) -- and runs
every saved query on both: seconds (best of --repeat runs, each answer as SPARQL JSON: in process
on the embedded store, over HTTP from Virtuoso's /sparql) and whether the rows are the same.

`compare_queries(store_dir, virtuoso_url)` is the comparison alone; `side_by_side(store_dir)` starts a
Virtuoso, bulk-loads the store into it and compares (for bench/run.py: one call a size).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

import corpus  # noqa: E402
from virtuoso import Virtuoso, normalised  # noqa: E402

PUSH_UP_TO = 2000  # cases: above, --via auto uses Virtuoso's bulk loader


def saved_queries(directory: Path | None = None) -> list[Path]:
    return sorted((directory or ROOT / "queries" / "analytics").glob("*.rq"))


def _best(run, repeat: int):
    """(best seconds, the last answer) of `repeat` runs of run()."""
    best, answer = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        answer = run()
        best = min(best, time.perf_counter() - t)
    return best, answer


def compare_queries(store_dir, virtuoso_url: str, repeat: int = 3, timeout: float = 600.0,
                    queries: Path | None = None) -> list[dict]:
    """For every saved query: {query, embedded_s, virtuoso_s, rows_embedded, rows_virtuoso, same_rows,
    error}. The embedded store (opened read-only) answers in process through dorsum's query path
    (reasoner.query.analytics.run_query: the prefixes prepended, SPARQL JSON out); Virtuoso gets the
    same text by POST at `virtuoso_url` (its /sparql). Rows are compared sorted, numbers as numbers.
    `queries`: another directory of .rq files (a rewrite to try), instead of queries/analytics."""
    import pyoxigraph as ox

    from reasoner.namespaces import SPARQL_PREFIXES
    from reasoner.query.analytics import run_query

    store = ox.Store.read_only(str(store_dir))
    rows = []
    with httpx.Client(timeout=timeout) as client:
        for path in saved_queries(queries):
            text = path.read_text(encoding="utf-8")
            row = {"query": path.stem, "error": ""}
            row["embedded_s"], local = _best(lambda: json.loads(run_query(store, text, "json")), repeat)

            def remote():
                r = client.post(virtuoso_url, data={"query": SPARQL_PREFIXES + text},
                                headers={"Accept": "application/sparql-results+json"})
                if r.status_code != 200:
                    raise RuntimeError(f"{r.status_code}: {' '.join(r.text.split())[:200]}")
                return r.json()
            try:
                row["virtuoso_s"], answer = _best(remote, repeat)
            except RuntimeError as exc:
                row.update(virtuoso_s=None, rows_virtuoso=None, same_rows=False, error=str(exc))
                answer = None
            row["rows_embedded"] = len(local["results"]["bindings"])
            if answer is not None:
                row["rows_virtuoso"] = len(answer["results"]["bindings"])
                row["same_rows"] = normalised(answer) == normalised(local)
            rows.append(row)
    return rows


def side_by_side(store_dir, via: str = "bulk", repeat: int = 3, queries: Path | None = None,
                 buffers: int = 200000) -> list[dict]:
    """For bench/run.py: a temporary Virtuoso holding the store at `store_dir` (written `via` push or
    its bulk loader; `buffers` 8 kB pages of cache: 1.6 GB), each saved query compared on both
    (compare_queries); the server is gone after."""
    with Virtuoso(buffers=buffers) as server:
        print(write_into(server, Path(store_dir), via), flush=True)
        return compare_queries(store_dir, server.sparql, repeat, queries=queries)


def buffers_for(cases: int) -> int:
    """Virtuoso's page cache for a store of `cases` (8 kB pages: 160 MB .. 3.2 GB)."""
    return max(20000, min(cases * 2, 400000))


def build_store(n: int, tmp: Path, jobs: int) -> Path:
    src, store = tmp / f"corpus-{n}.jsonl", tmp / "store"
    corpus.write(src, n)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "reasoner.cli", "load", str(src), "--store", str(store), "--jobs", str(jobs)],
                   cwd=ROOT, check=False, stdout=subprocess.DEVNULL)  # exit 1: the corpus has a few invalid cases
    print(f"embedded store: {n} cases loaded in {time.perf_counter() - t:.1f} s", flush=True)
    return store


def write_into(server: Virtuoso, store: Path, via: str) -> str:
    """Write the store into Virtuoso by `dorsum push` or by its bulk loader; a line saying how long."""
    t = time.perf_counter()
    if via == "push":
        run = subprocess.run([sys.executable, "-m", "reasoner.cli", "push", "--store", str(store),
                              "--to", server.crud_auth], cwd=ROOT, env=server.env(), capture_output=True, text=True)
        if run.returncode != 0:
            raise SystemExit(f"dorsum push failed: {run.stdout}{run.stderr}")
        return f"dorsum push: {run.stdout.strip()}"
    import pyoxigraph as ox

    nq = server.tmp / "nquads"
    nq.mkdir()
    ox.Store.read_only(str(store)).dump(output=str(nq / "store.nq"), format=ox.RdfFormat.N_QUADS)
    server.isql(f"ld_dir('{nq}', '*.nq', 'https://w3id.org/dorsum/graph/unnamed'); rdf_loader_run(); checkpoint;")
    state = server.isql("SELECT ll_state, ll_error FROM DB.DBA.load_list;")
    if "NULL" not in state:
        raise SystemExit(f"Virtuoso's bulk loader failed: {state}")
    return f"Virtuoso bulk loader (ld_dir + rdf_loader_run): {time.perf_counter() - t:.1f} s"


def table(rows: list[dict]) -> str:
    lines = [f"{'query':32} {'embedded s':>10} {'Virtuoso s':>10} {'rows':>13}  same rows",
             "-" * 80]
    for r in rows:
        v = f"{r['virtuoso_s']:.3f}" if r["virtuoso_s"] is not None else "error"
        counts = f"{r['rows_embedded']}/{r['rows_virtuoso'] if r['rows_virtuoso'] is not None else '-'}"
        same = "yes" if r["same_rows"] else ("no: " + r["error"] if r["error"] else "no")
        lines.append(f"{r['query']:32} {r['embedded_s']:>10.3f} {v:>10} {counts:>13}  {same}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=1, help="dorsum load --jobs")
    ap.add_argument("--via", choices=["auto", "push", "bulk"], default="auto")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each query; the best is reported")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON here")
    ap.add_argument("--queries", type=Path, help="a directory of .rq files to run instead of queries/analytics")
    args = ap.parse_args()
    via = args.via if args.via != "auto" else ("push" if args.cases <= PUSH_UP_TO else "bulk")
    with tempfile.TemporaryDirectory(prefix="dorsum-vbench-") as tmp:
        store = build_store(args.cases, Path(tmp), args.jobs)
        with Virtuoso(buffers=buffers_for(args.cases)) as server:
            print(write_into(server, store, via), flush=True)
            rows = compare_queries(store, server.sparql, args.repeat, queries=args.queries)
    print(f"\n{args.cases} cases, best of {args.repeat}, Virtuoso {virtuoso_version()}, {os.cpu_count()} CPUs")
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps({"cases": args.cases, "via": via, "rows": rows}, indent=1) + "\n")


def virtuoso_version() -> str:
    run = subprocess.run(["virtuoso-t", "-?"], capture_output=True, text=True)
    for line in (run.stdout + run.stderr).splitlines():
        if "Version" in line:
            return line.split("Version", 1)[1].split()[0]
    return "?"


if __name__ == "__main__":
    main()
