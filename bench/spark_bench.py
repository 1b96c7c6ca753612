"""dorsum on Spark (issue 19): how classification scales from local[1] to local[2], and how the Spark
path compares with `dorsum load --jobs 2` on the same cases in the same run. Not a test.

    python bench/spark_bench.py --cases 10000        # what `make bench` asks: 10k cases
    python bench/spark_bench.py --cases 1000 --json  # the figures as JSON (--no-nquads: without that column)

spark_scaling(n) generates n deterministic synthetic cases (bench/corpus.py) as JSON Lines and, for
each master, starts a local SparkSession (JVM start-up not timed), then times the whole job
`dorsum spark` runs: read the JSON Lines, classify (each Python worker builds its Classifier from
the shipped knowledge base: timed, as a real job pays it), write Parquet. Then `dorsum load --jobs 2`
on the same file into a fresh store (a process: its start-up and knowledge-base load timed). The
outputs differ (Parquet with the JSON results and canonical N-Quads; an Oxigraph store of the
result graphs), so the last ratio compares two ways to the same classification, not equal work.
Needs PySpark (pip install 'dorsum[spark]').
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import corpus  # noqa: E402


def spark_run(cases: Path, master: str, out: Path, nquads: bool = True) -> dict:
    """One Spark job over `cases` on `master`: seconds and cases/s (session start-up excluded)."""
    from reasoner.spark import classify_dataframe, local_session, read_cases
    from reasoner.spark.output import write_parquet

    spark = local_session(master, f"dorsum-bench-{master}", **{"spark.default.parallelism": master[6:-1] or "1"})
    try:
        start = time.perf_counter()
        counts = write_parquet(classify_dataframe(read_cases(spark, [str(cases)]), nquads=nquads), str(out))
        seconds = time.perf_counter() - start
    finally:
        spark.stop()
    total = sum(counts.values())
    return {"master": master, "cases": total, "statuses": counts, "seconds": round(seconds, 2),
            "cases_per_s": round(total / seconds, 2)}


def load_run(cases: Path, store: Path, jobs: int = 2) -> dict:
    """`dorsum load --jobs N` over `cases` into a new store: seconds and cases/s (whole process)."""
    dorsum = Path(sys.executable).parent / "dorsum"
    start = time.perf_counter()
    proc = subprocess.run([str(dorsum), "load", str(cases), "--store", str(store), "--jobs", str(jobs)],
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):  # 1: some synthetic cases are invalid on purpose
        raise RuntimeError(f"dorsum load failed ({proc.returncode}): {proc.stderr[-2000:]}")
    n = sum(1 for line in cases.read_text(encoding="utf-8").splitlines() if line.strip())
    return {"jobs": jobs, "cases": n, "seconds": round(seconds, 2), "cases_per_s": round(n / seconds, 2)}


def spark_scaling(n: int = 10_000, seed: int = 42, nquads: bool = True) -> dict:
    """local[1] against local[2] (the scaling ratio), and local[2] against `dorsum load --jobs 2`;
    nquads=False leaves the canonical N-Quads column out (about half of a case's cost)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    work = Path(tempfile.mkdtemp(prefix="dorsum-spark-bench-"))
    try:
        cases = work / "cases.jsonl"
        corpus.write(cases, n, seed)
        one = spark_run(cases, "local[1]", work / "out-1", nquads)
        two = spark_run(cases, "local[2]", work / "out-2", nquads)
        load = load_run(cases, work / "store", jobs=2)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"cases": n, "nquads": nquads, "cpus": os.cpu_count(), "load_average": os.getloadavg()[0],
            "local[1]": one, "local[2]": two, "scaling_ratio": round(two["cases_per_s"] / one["cases_per_s"], 2),
            "load_jobs_2": load, "spark_local2_vs_load": round(two["cases_per_s"] / load["cases_per_s"], 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--no-nquads", action="store_true", help="leave the canonical N-Quads column out")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    r = spark_scaling(args.cases, args.seed, nquads=not args.no_nquads)
    if args.json:
        print(json.dumps(r, indent=2))
        return
    print(f"Spark, {r['cases']} cases{'' if r['nquads'] else ' without N-Quads'} ({r['cpus']} CPUs, load average {r['load_average']:.1f}):")
    for key in ("local[1]", "local[2]"):
        print(f"  {key}: {r[key]['cases_per_s']} cases/s ({r[key]['seconds']} s)")
    print(f"  scaling local[2] / local[1]: {r['scaling_ratio']}x")
    print(f"  dorsum load --jobs 2: {r['load_jobs_2']['cases_per_s']} cases/s ({r['load_jobs_2']['seconds']} s); "
          f"Spark local[2] / load: {r['spark_local2_vs_load']}x")


if __name__ == "__main__":
    main()
