"""dorsum benchmark (`make bench`): prints its figures and writes bench/RESULTS.md. Not a test.

Measures, on a deterministic synthetic corpus (bench/corpus.py):
1. `dorsum load` at each size (cases/s, wall time, peak RSS, store size on disk);
2. the naive per-case pipeline a user would otherwise write (rdflib graph, pyshacl.validate, an
   owlrl closure, each rule as a prepared rdflib query, strata to a fixpoint) on a small sample,
   its cases/s, the ratio, and whether its conclusions equal dorsum's (bench/figures.py);
3. warm single-case classify latency (p50/p95; bench/figures.py);
4. where a case's time goes in `dorsum load` (intake, validation, inference, provenance, store
   write), and case-shape validation by pySHACL (per case) against the compiled shapes (per chunk);
5. the time each rule, inference query and validation (shape) query takes at each size, and how its
   cost a case grows from the size before the largest to the largest (a query whose cost grows faster than
   linearly is flagged);
6. endpoint throughput for the saved analytics queries with 8 concurrent clients;
7. issue 18's targets (bench/targets.py), printed last and written at the top of RESULTS.md: each
   saved query on one client, quads a case, the load against Oxigraph's bulk loader on the same
   quads, the endpoint's memory as results grow (bench/streaming.py), superlinear queries; and the
   warm p50, the naive ratio and the load's cases/s beside those of an older commit (`--base`, a
   `git worktree` measured in the same run: bench/base.py).
8. issue 19's figures (bench/scale_out.py): Spark local[1] against local[2] and against `dorsum load
   --jobs 2` on 10,000 cases, and each saved query on the embedded store beside Virtuoso at each size
   from 10,000 up (skipped, saying so, without PySpark or virtuoso-t).

Usage: python bench/run.py [--sizes 1000,10000] [--full] [--jobs 1,2] [--naive 1] [--no-endpoint]
       [--base REV | --no-base] [--base-naive] [--base-load-size N] [--latency-rounds 2] [--latency-cases 200]
       [--stream-rows 10000,100000,1000000]
       [--spark-cases 10000] [--no-spark] [--no-virtuoso] [--quick] [--out bench/RESULTS.md]
(--full adds 100,000 cases; --quick: 300 cases, one naive case, written to /tmp unless --out.)
Modules: base.py (the worktree), figures.py (latency, naive), query_profile.py, targets.py, serving.py, scale_out.py (spark_bench.py, virtuoso_bench.py).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import corpus  # noqa: E402
import scale_out  # noqa: E402
import targets  # noqa: E402
from base import commit_of, env_for, figure, worktree  # noqa: E402
from query_profile import profile_table, stages  # noqa: E402
from serving import running_server  # noqa: E402

PY = sys.executable


def machine() -> str:
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    import pyoxigraph
    return (f"{platform.node()} | {platform.machine()} | {os.cpu_count()} CPUs | {mem} RAM | "
            f"Python {platform.python_version()} | pyoxigraph {pyoxigraph.__version__}")


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def load_run(n: int, tmp: Path, jobs: int = 1, root: Path = ROOT, tag: str = "") -> dict:
    """`dorsum load --jobs N` of n corpus cases in a process of its own, with `root`'s reasoner
    package (this checkout's, or a worktree's: bench/base.py)."""
    src = tmp / f"corpus-{n}.jsonl"
    if not src.exists():
        corpus.write(src, n)
    store = tmp / f"store-{n}-j{jobs}{tag}"
    code = ("import resource, sys; from reasoner.cli import main\n"
            "try:\n    main(sys.argv[1:], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
            "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
            "print('CHILDRSS', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)")
    t0 = time.perf_counter()
    res = subprocess.run([PY, "-c", code, "load", str(src), "--store", str(store), "--jobs", str(jobs)],
                         cwd=root, env=env_for(root), capture_output=True, text=True)
    wall = time.perf_counter() - t0
    # the main process's peak, plus the workers' (RUSAGE_CHILDREN of the process tree: the largest worker)
    rss_kb = next((int(l.split()[1]) for l in res.stderr.splitlines() if l.startswith("MAXRSS")), 0)
    rss_kb += jobs * next((int(l.split()[1]) for l in res.stderr.splitlines() if l.startswith("CHILDRSS")), 0) if jobs > 1 else 0
    summary = next((l for l in res.stdout.splitlines() if l.startswith("loaded")), res.stdout.strip() + res.stderr[-500:])
    return {"n": n, "jobs": jobs, "wall_s": wall, "cases_per_s": n / wall, "peak_rss_mib": rss_kb / 1024,
            "store_mib": du(store) / 2 ** 20, "summary": summary, "store": store, "src": src}


def endpoint(store: Path, clients: int = 8, rounds: int = 5) -> dict:
    import httpx
    from reasoner.namespaces import SPARQL_PREFIXES
    with running_server(store, "--workers", "2") as base:
        queries = [p.read_text() for p in sorted((ROOT / "queries" / "analytics").glob("*.rq"))]
        jobs = [SPARQL_PREFIXES + q for _ in range(rounds) for q in queries]
        lat, errors = [], 0

        def one(q):
            t = time.perf_counter()
            r = httpx.post(base + "/sparql", data={"query": q}, headers={"Accept": "application/sparql-results+json"}, timeout=120)
            return time.perf_counter() - t, r.status_code

        t0 = time.perf_counter()
        with ThreadPoolExecutor(clients) as ex:
            for dt, status in ex.map(one, jobs):
                lat.append(dt)
                errors += status != 200
        wall = time.perf_counter() - t0
        lat.sort()
        return {"queries": len(jobs), "qps": len(jobs) / wall, "p50_ms": statistics.median(lat) * 1000,
                "p95_ms": lat[int(0.95 * len(lat)) - 1] * 1000, "errors": errors}


def compared(args, load: dict, tmp: Path) -> dict:
    """Warm latency (rounds alternating between this checkout and the base), the naive pipeline, and
    the base's load at the largest size: what the report sets side by side."""
    n, jobs = load["n"], load["jobs"]
    head = {"load": load, "lat": []}
    old = {"load": None, "lat": []} if args.base else None

    def with_base(tree):
        if tree is not None:
            old["load"] = r = load_run(n, tmp, jobs, root=tree, tag="-base")
            shutil.rmtree(r["store"], ignore_errors=True)
            print(f"base {args.base}: load {n} --jobs {jobs}: {r['cases_per_s']:.1f} cases/s, {r['wall_s']:.1f} s | {r['summary']}")
        for i in range(args.latency_rounds):
            head["lat"].append(figure(ROOT, "latency", args.latency_cases))
            print(f"warm single-case classify (round {i + 1}): p50 {head['lat'][-1]['p50_ms']:.1f} ms, "
                  f"p95 {head['lat'][-1]['p95_ms']:.1f} ms")
            if tree is not None:
                old["lat"].append(figure(tree, "latency", args.latency_cases))
                print(f"  base {args.base}: p50 {old['lat'][-1]['p50_ms']:.1f} ms, p95 {old['lat'][-1]['p95_ms']:.1f} ms")
        if args.naive:
            head["naive"] = figure(ROOT, "naive", args.naive)
            print(f"naive pipeline: {head['naive']['cases_per_s']:.3f} cases/s on {args.naive} cases; conclusions "
                  f"identical: {head['naive']['same']} {head['naive']['diffs'] or ''}")
            if tree is not None:
                if not args.base_naive and old["lat"][0]["kb_sha256"] == head["lat"][0]["kb_sha256"]:
                    old["naive"] = dict(head["naive"], reused=True)
                else:
                    old["naive"] = figure(tree, "naive", args.naive)
                    print(f"  base {args.base}: naive {old['naive']['cases_per_s']:.3f} cases/s; conclusions identical: "
                          f"{old['naive']['same']} {old['naive']['diffs'] or ''}")

    if args.base:
        with worktree(args.base) as (tree, commit):
            old["commit"] = commit[:10]
            with_base(tree)
    else:
        with_base(None)
    return {"head": head, "base": old}


def main() -> None:
    from reasoner.runtime.gc_policy import for_dorsum

    for_dorsum()  # what every dorsum process does, so the in-process figures match `dorsum` commands
    sys.stdout.reconfigure(line_buffering=True)  # progress shows as it comes, also into a file
    started = time.perf_counter()
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default=None, help="corpus sizes (default 1000,10000)")
    ap.add_argument("--full", action="store_true", help="add 100,000 cases")
    ap.add_argument("--quick", action="store_true", help="a check of the harness: 300 cases, --jobs 2, one naive "
                    "case, 50 latency cases, small streaming sizes; written to /tmp unless --out")
    ap.add_argument("--naive", type=int, default=None, help="cases for the naive pipeline (a minute or more each, also "
                    "under --base; default 1)")
    ap.add_argument("--no-endpoint", action="store_true", help="skip the endpoint throughput (8 clients)")
    ap.add_argument("--jobs", default=None, help="`dorsum load --jobs` values to measure at each size (default 1,2)")
    ap.add_argument("--base", default="v0.2.0", help="the commit to compare the warm p50, the naive ratio and the "
                    "load's cases/s with, in a `git worktree` (default v0.2.0)")
    ap.add_argument("--no-base", action="store_true", help="no comparison with --base")
    ap.add_argument("--base-load-size", type=int, default=None, help="the size (one of --sizes) whose --jobs 2 load "
                    "the base repeats and the naive ratio uses (default the largest up to 10,000)")
    ap.add_argument("--base-naive", action="store_true", help="run the naive pipeline under the base even when "
                    "its knowledge base is the same (by default measured once then)")
    ap.add_argument("--latency-rounds", type=int, default=2, help="warm-latency rounds, alternating with the base")
    ap.add_argument("--latency-cases", type=int, default=None, help="cases a latency round (default 200)")
    ap.add_argument("--stream-rows", default=None, help="result sizes for bench/streaming.py (default 10000,100000,1000000)")
    ap.add_argument("--spark-cases", type=int, default=None, help="cases for Spark local[1] vs local[2] (default "
                    "10000; --quick 300)")
    ap.add_argument("--no-spark", action="store_true", help="skip the Spark figures (bench/spark_bench.py)")
    ap.add_argument("--no-virtuoso", action="store_true", help="skip the saved queries on Virtuoso "
                    "(bench/virtuoso_bench.py, at each size from 10,000 up; --quick: the one size)")
    ap.add_argument("--out", default=None, help="default bench/RESULTS.md (with --quick: /tmp/dorsum-bench-quick.md)")
    args = ap.parse_args()
    q = args.quick
    args.sizes = args.sizes or ("300" if q else "1000,10000")
    args.jobs = args.jobs or ("2" if q else "1,2")
    args.naive = args.naive if args.naive is not None else 1
    args.latency_cases = args.latency_cases or (50 if q else 200)
    args.stream_rows = args.stream_rows or ("1000,10000" if q else "10000,100000,1000000")
    args.spark_cases = args.spark_cases or (300 if q else 10_000)
    args.out = args.out or ("/tmp/dorsum-bench-quick.md" if q else str(ROOT / "bench" / "RESULTS.md"))
    if args.no_base:
        args.base = None
    elif commit_of(args.base) is None:  # say so now, not after an hour of loads
        ap.error(f"--base {args.base}: no such commit or tag in this clone (a clone of main alone has no tags: "
                 "fetch them, pass --base COMMIT, e.g. the commit `git log --grep 'Release 0.2.0'` shows, or --no-base)")
    sizes = [int(x) for x in args.sizes.split(",") if x]
    if args.full and 100_000 not in sizes:
        sizes.append(100_000)
    job_list = [int(j) for j in args.jobs.split(",") if j]
    lines = ["# dorsum benchmark results\n", f"Machine: {machine()}  ", f"Date: {time.strftime('%Y-%m-%d')}  ",
             f"Command: `python bench/run.py {' '.join(sys.argv[1:])}`\n"]
    tmp = Path(tempfile.mkdtemp(prefix="dorsum-bench-"))
    try:
        print(machine())
        loads, all_loads = [], []
        for n in sizes:
            for jobs in job_list:
                r = load_run(n, tmp, jobs)
                all_loads.append(r)
                print(f"load {n} --jobs {jobs}: {r['cases_per_s']:.1f} cases/s, {r['wall_s']:.1f} s, "
                      f"peak RSS {r['peak_rss_mib']:.0f} MiB, store {r['store_mib']:.1f} MiB | {r['summary']}")
            loads.append(max((r for r in all_loads if r["n"] == n), key=lambda r: r["cases_per_s"]))
            for r in all_loads:  # keep one store a size (the fastest load's) on disk
                if r["n"] == n and r is not loads[-1]:
                    shutil.rmtree(r["store"], ignore_errors=True)
        lines += ["## Batch load (`dorsum load`, whole process, KB start-up included)\n",
                  "Peak RSS with workers: the main process's plus each worker's (the largest worker's times N).\n",
                  "| cases | --jobs | wall s | cases/s | peak RSS MiB | store MiB |", "|---|---|---|---|---|---|"]
        lines += [f"| {r['n']} | {r['jobs']} | {r['wall_s']:.1f} | {r['cases_per_s']:.1f} | {r['peak_rss_mib']:.0f} | "
                  f"{r['store_mib']:.1f} |" for r in all_loads]
        # the load the targets and the base compare: the largest size, --jobs 2 (else the most jobs measured)
        cmp_jobs = 2 if 2 in job_list else max(job_list)
        cmp_load = next(r for r in all_loads if r["n"] == sizes[-1] and r["jobs"] == cmp_jobs)
        # the naive ratio and the base's load: at the largest size up to 10,000 (a base load at 100k would add 12+ min)
        rn = args.base_load_size or max([n for n in sizes if n <= 10_000] or sizes[:1])
        ratio_load = next((r for r in all_loads if r["n"] == rn and r["jobs"] == cmp_jobs), cmp_load)
        fig = compared(args, ratio_load, tmp)
        head, old = fig["head"], fig["base"]
        p50 = statistics.median(x["p50_ms"] for x in head["lat"])
        rounds = lambda f: ", ".join(f"{x['p50_ms']:.1f}" for x in f["lat"])  # noqa: E731
        p95 = statistics.median(x["p95_ms"] for x in head["lat"])
        lines += ["", "## Warm single-case classify\n",
                  f"p50 {p50:.1f} ms, p95 {p95:.1f} ms ({args.latency_cases} cases, one at a time, in a fresh process; "
                  f"median of {len(head['lat'])} rounds: p50 {rounds(head)} ms)"]
        if old:
            bp50 = statistics.median(x["p50_ms"] for x in old["lat"])
            lines.append(f"\n{args.base} ({old['commit']}), rounds alternating with the above: p50 {bp50:.1f} ms "
                         f"({rounds(old)}), p95 "
                         f"{statistics.median(x['p95_ms'] for x in old['lat']):.1f} ms")
        ratio = old_ratio = None
        if args.naive:
            nv = head["naive"]
            ratio = ratio_load["cases_per_s"] / nv["cases_per_s"]
            lines += ["", "## Naive per-case pipeline (rdflib + pyshacl + owlrl + prepared rule queries)\n",
                      f"{nv['cases_per_s']:.3f} cases/s on a sample of {args.naive}; dorsum batch ({ratio_load['n']} cases, "
                      f"--jobs {cmp_jobs}) / naive = **{ratio:.0f}x**; conclusions identical on the sample: {nv['same']}"]
            print(f"dorsum/naive = {ratio:.0f}x ({ratio_load['cases_per_s']:.1f} vs {nv['cases_per_s']:.3f} cases/s)")
            if old:
                old_ratio = old["load"]["cases_per_s"] / old["naive"]["cases_per_s"]
                lines.append(f"\n{args.base}: load {old['load']['cases_per_s']:.1f} cases/s, naive "
                             f"{old['naive']['cases_per_s']:.3f} cases/s"
                             + (" (the same knowledge base: the naive pipeline's work is the same, measured once)"
                                if old["naive"].get("reused") else "") + f", ratio {old_ratio:.0f}x; conclusions "
                             f"identical on the sample: {old['naive']['same']}")
        st = stages(loads[0]["src"], tmp)
        print("where a case's time goes (ms/case, %d cases): " % loads[0]["n"] + "; ".join(f"{k} {v:.2f}" for k, v in st.items()))
        lines += ["", f"## Where a case's time goes ({loads[0]['n']} cases, chunks of 200, one thread)\n",
                  "| step | ms per case |", "|---|---|"]
        lines += [f"| {k} | {v:.2f} |" for k, v in st.items()]
        table, flagged, prof_sizes = profile_table(loads)
        lines += table
        largest = loads[-1]["store"]
        quads = targets.quads_per_case(largest)
        ceiling = targets.store_ceiling(largest, sizes[-1], tmp)
        print(f"store ceiling: dumped {ceiling['quads']} quads ({ceiling['nq_mib']:.0f} MiB N-Quads, {ceiling['dump_s']:.1f} s); "
              f"Oxigraph bulk_load {ceiling['bulk_load_s']:.1f} s = {ceiling['cases_per_s']:.1f} cases/s"
              + (f"; oxigraph load CLI {ceiling['cli_s']:.1f} s" if "cli_s" in ceiling else "")
              + (f" (loaded {ceiling['loaded_quads']} quads)" if ceiling.get("loaded_quads") is not None else ""))
        queries = targets.analytics_times(largest)
        print(f"saved analytics queries, one client, {sizes[-1]} cases: " + ", ".join(f"{n} {s:.2f}s" for n, s, _ in queries))
        lines += ["", f"## Saved analytics queries, one client, store of {sizes[-1]} cases (in process: no process start; median of 3 runs, the first included)\n",
                  "| query | seconds | rows |", "|---|---|---|"] + [f"| {n} | {s:.2f} | {k} |" for n, s, k in queries]
        ep = None
        if not args.no_endpoint:
            ep = endpoint(largest)
            print(f"endpoint, 8 clients, analytics queries on {loads[-1]['n']} cases: {ep['qps']:.1f} queries/s, "
                  f"p50 {ep['p50_ms']:.0f} ms, p95 {ep['p95_ms']:.0f} ms, errors {ep['errors']}")
            lines += ["", f"## Endpoint: saved analytics queries, 8 concurrent clients, store of {loads[-1]['n']} cases\n",
                      f"{ep['queries']} queries, {ep['qps']:.1f} queries/s, p50 {ep['p50_ms']:.0f} ms, p95 {ep['p95_ms']:.0f} ms, "
                      f"errors {ep['errors']}"]
        wanted = [int(x) for x in args.stream_rows.split(",") if x]  # a LIMIT above the store's quads is no bigger answer
        stream = targets.streaming(largest, [r for r in wanted if r <= ceiling["quads"]] or wanted[:1])
        stream["skipped"] = [r for r in wanted if r > ceiling["quads"]]
        stream["quads"] = ceiling["quads"]
        if "rows" in stream:
            lines += ["", f"## Streaming results: the server's RSS as results grow (bench/streaming.py, store of "
                      f"{sizes[-1]} cases)\n", "Cold (after a 100-row warm-up):\n", "```", stream["table"], "```",
                      "\nWarm (the largest answer asked once first, so the workers' store cache, kept between queries "
                      "and bounded, already holds what the answers read; what still grows is what an answer holds):\n",
                      "```", stream["warm_table"], "```"]
            print("streaming results:\n" + stream["table"] + "\nwarm:\n" + stream["warm_table"])
        base_rows = []
        if old:
            tag = f"{args.base} ({old['commit']})"
            base_rows = [
                (f"warm single-case p50 vs {tag}", p50, statistics.median(x["p50_ms"] for x in old["lat"]), False,
                 lambda v: f"{v:.1f} ms"),
                (f"load {ratio_load['n']} --jobs {cmp_jobs}, cases/s vs {tag}", ratio_load["cases_per_s"],
                 old["load"]["cases_per_s"], True, lambda v: f"{v:.1f} cases/s")]
            if ratio is not None:
                base_rows.append((f"naive ratio vs {tag}", ratio, old_ratio, True, lambda v: f"{v:.0f}x"))
        else:
            base_rows = [("warm single-case p50", p50, None, False, lambda v: f"{v:.1f} ms")]
            if ratio is not None:
                base_rows.append(("naive ratio", ratio, None, True, lambda v: f"{v:.0f}x"))
        rows = targets.block(n=sizes[-1], queries=queries, endpoint=ep, quads=quads,
                             ceiling={"load": cmp_load, "ceiling": ceiling}, stream=stream, flagged=flagged,
                             sizes=prof_sizes, base=base_rows)
        scale_md = []
        if not args.no_spark:
            md_part, more = scale_out.spark_section(args.spark_cases)
            scale_md += md_part
            rows += more
        if not args.no_virtuoso:
            stores = [(r["n"], r["store"]) for r in loads if r["n"] >= 10_000 or q]
            md_part, more = scale_out.virtuoso_section(stores)
            scale_md += md_part
            rows += more
        lines += scale_md
        if args.naive:
            rows.append(("naive pipeline: its conclusions equal dorsum's", f"{head['naive']['same']} on {args.naive} "
                         f"cases {head['naive']['diffs'] or ''}".strip(), f"{old['naive']['same']} at base" if old else "",
                         "yes" if head["naive"]["same"] else "no"))
        wall = time.perf_counter() - started
        printed, md = targets.render(rows, targets.title(sizes[-1], wall / 60))
        lines = lines[:4] + md + [""] + lines[4:]
        Path(args.out).write_text("\n".join(lines) + "\n")
        print()
        print("\n".join(printed))
        print(f"wrote {args.out}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
