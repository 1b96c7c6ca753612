"""Issue 19's figures for `make bench`: dorsum on Spark (local[1] against local[2], and against
`dorsum load --jobs 2`: bench/spark_bench.py) and each saved analytics query on the embedded store
beside Virtuoso (bench/virtuoso_bench.py), at each size the run loaded. Each part is skipped, saying
why, when its component is missing (PySpark: pip install 'dorsum[spark]'; Virtuoso: make virtuoso)."""

from __future__ import annotations

import shutil


def spark_section(n: int) -> tuple[list[str], list[tuple]]:
    """(markdown lines, Targets rows) for Spark on n cases."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return ["", "## Spark (issue 19)\n", "Not measured: PySpark is not installed (pip install 'dorsum[spark]')."], []
    import spark_bench

    r = spark_bench.spark_scaling(n)
    one, two, load = r["local[1]"], r["local[2]"], r["load_jobs_2"]
    print(f"spark {n} cases: local[1] {one['cases_per_s']} cases/s, local[2] {two['cases_per_s']} cases/s "
          f"({r['scaling_ratio']}x); dorsum load --jobs 2 {load['cases_per_s']} cases/s "
          f"(Spark local[2] / load {r['spark_local2_vs_load']}x)")
    md = ["", f"## Spark (issue 19): {n} cases, JSON Lines in, Parquet out (bench/spark_bench.py)\n",
          "Session start-up (the JVM) not timed; each Python worker building its classifier from the shipped "
          "knowledge base is. `dorsum load` writes an Oxigraph store instead of Parquet: the last row compares two "
          "ways to the same classification, not equal work.\n",
          "| run | seconds | cases/s |", "|---|---|---|",
          f"| Spark local[1] | {one['seconds']} | {one['cases_per_s']} |",
          f"| Spark local[2] | {two['seconds']} | {two['cases_per_s']} |",
          f"| `dorsum load --jobs 2` (whole process) | {load['seconds']} | {load['cases_per_s']} |",
          "", f"local[2] / local[1] = **{r['scaling_ratio']}x** on {r['cpus']} CPUs; Spark local[2] / load = "
          f"{r['spark_local2_vs_load']}x; statuses {two['statuses']}"]
    rows = [(f"Spark local[2] / local[1], {n} cases", f"{r['scaling_ratio']}x "
             f"({two['cases_per_s']} vs {one['cases_per_s']} cases/s)", f"{r['cpus']} CPUs", "measured"),
            (f"Spark local[2] / dorsum load --jobs 2, {n} cases", f"{r['spark_local2_vs_load']}x",
             f"load {load['cases_per_s']} cases/s", "measured")]
    return md, rows


def virtuoso_section(stores: list[tuple[int, str]]) -> tuple[list[str], list[tuple]]:
    """(markdown lines, Targets rows): every saved query on each (cases, store dir) and on Virtuoso."""
    if shutil.which("virtuoso-t") is None:
        return ["", "## Saved queries on Virtuoso (issue 19)\n",
                "Not measured: virtuoso-t is not installed (make virtuoso)."], []
    import virtuoso_bench

    md, rows = [], []
    for n, store in stores:
        got = virtuoso_bench.side_by_side(store, via="bulk", buffers=virtuoso_bench.buffers_for(n))
        table = virtuoso_bench.table(got)
        print(f"saved queries, embedded store and Virtuoso, {n} cases:\n{table}")
        md += ["", f"## Saved queries on the embedded store and on Virtuoso {virtuoso_bench.virtuoso_version()}, "
               f"{n} cases (bench/virtuoso_bench.py)\n",
               "Best of 3; in process on the embedded store, over HTTP (SPARQL JSON) from Virtuoso, loaded by its "
               "bulk loader from the store's N-Quads.\n", "```", table, "```"]
        same = sum(1 for r in got if r["same_rows"])
        slowest = max((r for r in got if r["virtuoso_s"] is not None), key=lambda r: r["virtuoso_s"], default=None)
        rows.append((f"saved queries on Virtuoso, {n} cases", f"{same} of {len(got)} give the same rows"
                     + (f"; slowest {slowest['virtuoso_s']:.2f} s ({slowest['query']})" if slowest else ""),
                     "the embedded store's rows", "met" if same == len(got) else "not met"))
    return md, rows
