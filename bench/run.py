"""dorsum benchmark (`make bench`): prints its figures and writes bench/RESULTS.md. Not a test.

Measures, on a deterministic synthetic corpus (bench/corpus.py):
1. `dorsum load` at each size (cases/s, wall time, peak RSS, store size on disk);
2. the naive per-case pipeline a user would otherwise write (rdflib graph, pyshacl.validate, an
   owlrl closure, each rule as a prepared rdflib query, strata to a fixpoint) on a small sample,
   its cases/s, the ratio, and whether its conclusions equal dorsum's;
3. warm single-case classify latency (p50/p95);
4. where a case's time goes in `dorsum load` (intake, validation, inference, provenance, store
   write), and case-shape validation by pySHACL (per case) against the compiled shapes (per chunk);
5. the time each rule, inference query and validation (shape) query takes at each size, and how its
   cost a case grows from the smallest size to the largest (a query whose cost grows faster than
   linearly is flagged);
6. endpoint throughput for the saved analytics queries with 8 concurrent clients.

Usage: python bench/run.py [--sizes 1000,10000] [--full] [--jobs 1,2] [--naive 3] [--no-endpoint] [--out bench/RESULTS.md]
(--full adds 100,000 cases.)
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


def load_run(n: int, tmp: Path, jobs: int = 1) -> dict:
    src = tmp / f"corpus-{n}.jsonl"
    if not src.exists():
        corpus.write(src, n)
    store = tmp / f"store-{n}-j{jobs}"
    code = ("import resource, sys; from reasoner.cli import main\n"
            "try:\n    main(sys.argv[1:], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
            "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
            "print('CHILDRSS', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)")
    t0 = time.perf_counter()
    res = subprocess.run([PY, "-c", code, "load", str(src), "--store", str(store), "--jobs", str(jobs)],
                         cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    # the main process's peak, plus the workers' (RUSAGE_CHILDREN of the process tree: the largest worker)
    rss_kb = next((int(l.split()[1]) for l in res.stderr.splitlines() if l.startswith("MAXRSS")), 0)
    rss_kb += jobs * next((int(l.split()[1]) for l in res.stderr.splitlines() if l.startswith("CHILDRSS")), 0) if jobs > 1 else 0
    summary = next((l for l in res.stdout.splitlines() if l.startswith("loaded")), res.stdout.strip() + res.stderr[-500:])
    return {"n": n, "jobs": jobs, "wall_s": wall, "cases_per_s": n / wall, "peak_rss_mib": rss_kb / 1024,
            "store_mib": du(store) / 2 ** 20, "summary": summary, "store": store, "src": src}


class QueryTimes:
    """The observer the profile attaches (reasoner.runtime.runtime.Observer): seconds per engine
    query (by IRI) and per shape query (by name), summed."""

    def __init__(self):
        self.totals: dict = {}

    def query_ran(self, iri: str, seconds: float) -> None:
        self.totals[iri] = self.totals.get(iri, 0.0) + seconds

    shape_query_ran = query_ran


def rule_profile(n: int, src: Path, chunk: int = 200) -> dict:
    from reasoner.pipeline import Classifier
    from reasoner.runtime.runtime import Runtime
    times = QueryTimes()
    clf = Classifier(runtime=Runtime(observer=times))
    batch = []

    def run(b):
        prepared = clf.prepare(b)
        errors = clf.validate_many(b, prepared)
        valid = [(ci, p) for ci, p, e in zip(b, prepared, errors) if not e and p is not None]
        clf.engine.derive_batch([(ci.iri, p[0]) for ci, p in valid], converted=[p[1] for _, p in valid])
    for ci in clf.inputs([src]):
        batch.append(ci)
        if len(batch) >= chunk:
            run(batch)
            batch = []
    run(batch)
    return times.totals


def stages(src: Path, tmp: Path, chunk: int = 200) -> dict:
    """ms per case of each step of `dorsum load` (in one thread: the load overlaps the store write
    with the next chunk), and case-shape validation by pySHACL case by case on a sample."""
    import shutil as _shutil

    from reasoner import pipeline as C
    from reasoner.pipeline import Classifier
    from reasoner.store.case_store import open_store, store_kb, write_chunk
    clf = Classifier()
    t = time.perf_counter()
    cases = list(clf.inputs([src]))
    out = {"intake (JSON-LD)": time.perf_counter() - t}
    store_dir = tmp / "stages-store"
    _shutil.rmtree(store_dir, ignore_errors=True)
    store = open_store(store_dir, create=True)
    store_kb(store, clf.kb)
    for k in ("read triples", "validation (compiled shapes)", "inference (rules)", "provenance", "store write"):
        out[k] = 0.0
    for i in range(0, len(cases), chunk):
        b = cases[i:i + chunk]
        t = time.perf_counter()
        prepared = clf.prepare(b)
        t1 = time.perf_counter()
        errors = clf.validate_many(b, prepared)
        t2 = time.perf_counter()
        valid = [(ci, p) for ci, p, e in zip(b, prepared, errors) if not e and p is not None]
        derivations = clf.engine.derive_batch([(ci.iri, p[0]) for ci, p in valid], converted=[p[1] for _, p in valid])
        t3 = time.perf_counter()
        for ci, p in valid:
            C.provenance_triples(ci.iri, p[1], derivations[ci.iri], clf.kb, clf.ctx, self_contained=False)
        t4 = time.perf_counter()
        results = clf.classify_many(b, view=False)  # the same work once more, to write it
        t5 = time.perf_counter()
        write_chunk(store, results)
        t6 = time.perf_counter()
        out["read triples"] += t1 - t
        out["validation (compiled shapes)"] += t2 - t1
        out["inference (rules)"] += t3 - t2
        out["provenance"] += t4 - t3
        out["store write"] += t6 - t5
    del store
    n = len(cases)
    ms = {k: v / n * 1000 for k, v in out.items()}
    sample = [ci for ci in cases[:100] if ci.graph is not None]
    from reasoner.shacl.validate import CaseValidator
    ref = CaseValidator(clf.kb, clf.ctx, engine="pyshacl")
    t = time.perf_counter()
    for ci in sample:
        ref.validate(ci)
    ms["pySHACL validation, per case (reference, sample of 100)"] = (time.perf_counter() - t) / len(sample) * 1000
    return ms


def latency(k: int = 200) -> tuple[float, float]:
    from reasoner.pipeline import Classifier
    from reasoner.case.intake import flat_case
    clf = Classifier()
    cases = [flat_case(c, c["id"], clf.ctx) for c in corpus.generate(k, seed=7)]
    clf.classify_input(cases[0])  # warm
    times = []
    for ci in cases:
        t = time.perf_counter()
        clf.classify_input(ci)
        times.append(time.perf_counter() - t)
    times.sort()
    return statistics.median(times) * 1000, times[int(0.95 * len(times)) - 1] * 1000


def naive(k: int) -> tuple[float, bool, list]:
    """The pipeline a user would write by hand, per case, with the same knowledge base."""
    import owlrl
    from pyshacl import validate
    from rdflib import Graph
    from rdflib.plugins.sparql import prepareQuery

    from reasoner.pipeline import Classifier
    from reasoner.case.intake import flat_case
    from reasoner.namespaces import DORSUM, PREFIXES
    clf = Classifier()
    rules = [(r.stratum, prepareQuery(r.text, initNs=PREFIXES)) for r in clf.kb.rules if r.status == "active"]
    strata = sorted({s for s, _ in rules})
    cases = [c for c in corpus.generate(40, seed=11)][:k]
    same, diffs = True, []
    t0 = time.perf_counter()
    for c in cases:
        ci = flat_case(c, c["id"], clf.ctx)
        g = Graph()
        g += ci.graph
        conforms, _, _ = validate(g, shacl_graph=clf.kb.case_shapes, ont_graph=clf.kb.graph, inference="none")
        if not conforms:
            continue
        g += clf.kb.graph
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(g)
        for engine_q in clf.engine.queries:  # the age ranges and normalisation are not OWL RL: add them
            if not engine_q.is_rule:
                for t in g.query(engine_q.text.replace("GRAPH ?g {", "{").replace("GRAPH <https://w3id.org/dorsum/graph/kb> {", "{")):
                    g.add(t)
        for stratum in strata:
            while True:
                before = len(g)
                for s, q in rules:
                    if s == stratum:
                        for t in g.query(q):
                            g.add(t)
                if len(g) == before:
                    break
        ours = clf.classify_input(ci).graph
        pick = lambda gr: {str(s) for s in gr.subjects(DORSUM.aboutCase)  # noqa: E731
                           if "/conclusion/" in str(s) or "/missing/" in str(s)}
        if pick(g) != pick(ours):
            same = False
            diffs.append(c["id"])
    wall = time.perf_counter() - t0
    return len(cases) / wall, same, diffs


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


def main() -> None:
    from reasoner.runtime.gc_policy import for_dorsum

    for_dorsum()  # what every dorsum process does, so the in-process figures match `dorsum` commands
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--full", action="store_true", help="add 100,000 cases")
    ap.add_argument("--naive", type=int, default=3, help="cases for the naive pipeline (seconds each)")
    ap.add_argument("--no-endpoint", action="store_true", help="skip the endpoint throughput")
    ap.add_argument("--jobs", default="1,2", help="`dorsum load --jobs` values to measure at each size")
    ap.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",") if x]
    if args.full and 100_000 not in sizes:
        sizes.append(100_000)
    lines = ["# dorsum benchmark results\n", f"Machine: {machine()}  ", f"Date: {time.strftime('%Y-%m-%d')}\n"]
    tmp = Path(tempfile.mkdtemp(prefix="dorsum-bench-"))
    try:
        print(machine())
        loads = []
        all_loads = []
        for n in sizes:
            for jobs in [int(j) for j in args.jobs.split(",") if j]:
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
        p50, p95 = latency()
        print(f"warm single-case classify: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        lines += ["", f"## Warm single-case classify\n\np50 {p50:.1f} ms, p95 {p95:.1f} ms (200 cases, one at a time, in one process)"]
        if args.naive:
            nps, same, diffs = naive(args.naive)
            best = max(r["cases_per_s"] for r in loads)
            print(f"naive pipeline: {nps:.3f} cases/s on {args.naive} cases; dorsum/naive = {best / nps:.0f}x; "
                  f"conclusions identical: {same} {diffs or ''}")
            lines += ["", "## Naive per-case pipeline (rdflib + pyshacl + owlrl + prepared rule queries)\n",
                      f"{nps:.3f} cases/s on a sample of {args.naive}; dorsum batch / naive = **{best / nps:.0f}x**; "
                      f"conclusions identical on the sample: {same}"]
        st = stages(loads[0]["src"], tmp)
        print("where a case's time goes (ms/case, %d cases): " % loads[0]["n"] + "; ".join(f"{k} {v:.2f}" for k, v in st.items()))
        lines += ["", f"## Where a case's time goes ({loads[0]['n']} cases, chunks of 200, one thread)\n",
                  "| step | ms per case |", "|---|---|"]
        lines += [f"| {k} | {v:.2f} |" for k, v in st.items()]
        lines += ["", "## Time per rule, inference query and validation (shape) query (seconds, summed over chunks of 200)\n",
                  "growth: the cost a case at the largest size over the cost a case at the smallest; about 1 "
                  "when a query's cost grows linearly with the cases; flagged when over 2 for a query taking at least "
                  "0.5 s at the largest size (timings vary by up to 30% between runs).\n"]
        profiles = {r["n"]: rule_profile(r["n"], r["src"]) for r in loads}
        keys = sorted(set().union(*profiles.values()), key=lambda k: -max(p.get(k, 0) for p in profiles.values()))
        sizes = list(profiles)
        lines += ["| query | " + " | ".join(f"{n} cases" for n in sizes) + " | growth |", "|---|" + "---|" * (len(sizes) + 1)]
        for k in keys:
            first, last = profiles[sizes[0]].get(k, 0) / sizes[0], profiles[sizes[-1]].get(k, 0) / sizes[-1]
            flag = last / first > 2 and profiles[sizes[-1]].get(k, 0) >= 0.5 if first > 0 else False
            growth = f"{last / first:.2f}" + (" **superlinear?**" if flag else "") if first > 0 and len(sizes) > 1 else ""
            lines.append(f"| {k.rsplit('/', 1)[-1]} | " + " | ".join(f"{profiles[n].get(k, 0):.2f}" for n in sizes) + f" | {growth} |")
        print("slowest queries:", ", ".join(f"{k.rsplit('/', 1)[-1]} {max(p.get(k, 0) for p in profiles.values()):.2f}s" for k in keys[:5]))
        if args.no_endpoint:
            Path(args.out).write_text("\n".join(lines) + "\n")
            print(f"wrote {args.out}")
            return
        ep = endpoint(loads[-1]["store"])
        print(f"endpoint, 8 clients, analytics queries on {loads[-1]['n']} cases: {ep['qps']:.1f} queries/s, "
              f"p50 {ep['p50_ms']:.0f} ms, p95 {ep['p95_ms']:.0f} ms, errors {ep['errors']}")
        lines += ["", f"## Endpoint: saved analytics queries, 8 concurrent clients, store of {loads[-1]['n']} cases\n",
                  f"{ep['queries']} queries, {ep['qps']:.1f} queries/s, p50 {ep['p50_ms']:.0f} ms, p95 {ep['p95_ms']:.0f} ms, "
                  f"errors {ep['errors']}"]
        Path(args.out).write_text("\n".join(lines) + "\n")
        print(f"wrote {args.out}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
