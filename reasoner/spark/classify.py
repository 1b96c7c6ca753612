"""Classify cases on Spark: a DataFrame of cases in, a DataFrame of results out, one row per case.

    from reasoner.spark import classify_dataframe, local_session, read_cases
    spark = local_session("local[2]")
    results = classify_dataframe(read_cases(spark, ["cases.jsonl"]))     # or any DataFrame
    results.write.partitionBy("urgency_level").parquet("results/")         # with a string column "case"

The driver loads the knowledge base (--kb / DORSUM_KB, else the one that comes with dorsum) and
ships its files' bytes to the executors in a broadcast variable: an executor never reads or fetches
a knowledge base of its own. Each Python worker builds one Classifier from it (executor.py). Rows
keep a `position` (the input's order: a JSON Lines file's line order, files in name order), so
`orderBy("position")` gives the order `dorsum classify` writes.
"""

from __future__ import annotations

from functools import partial

INSTALL_HINT = "dorsum's Spark support needs PySpark: pip install 'dorsum[spark]'"


def require_pyspark() -> None:
    """Raise ImportError with the install hint when PySpark is not installed."""
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc


def _rows(df, json_column: str, position_column: str, source_column: str):
    """The DataFrame's rows as an RDD of (position, source, line, text): its own position, source
    and line columns where it has them, else the row's index in the DataFrame's order."""
    cols = df.columns
    if json_column not in cols:
        raise ValueError(f"the DataFrame has no column {json_column!r} holding the cases (it has {', '.join(cols)})")
    has_pos, has_src, has_line = position_column in cols, source_column in cols, "line" in cols
    picked = [json_column] + [c for c, has in ((position_column, has_pos), (source_column, has_src), ("line", has_line)) if has]
    sel = df.select(*picked)
    if has_pos:
        numbered = sel.rdd.map(lambda r: (r, int(r[position_column])))
    else:
        numbered = sel.rdd.zipWithIndex()

    def row(pair):
        r, pos = pair
        source = r[source_column] if has_src and r[source_column] is not None else f"row {pos}"
        line = int(r["line"]) if has_line and r["line"] is not None else pos + 1
        return pos, source, line, r[json_column]
    return numbered.map(row)


def _partition(bundle, chunk: int, nquads: bool, rows):
    from .executor import classify_rows

    return classify_rows(rows, bundle.value, chunk, nquads)


def classify_dataframe(df, kb_root=None, json_column: str = "case", *, position_column: str = "position",
                       source_column: str = "source", chunk: int = 200, nquads: bool = True):
    """Classify every case of `df` (one case a row: the flat JSON form as a string in `json_column`)
    and return a DataFrame of results, one row per case: the flat columns of columns.py (case_id,
    status, errors, urgency_level, urgency_days, actions, warnings, differential, risk_factors,
    missing, kb_version, kb_sha256, ...), the JSON result as `dorsum classify` writes it
    (result_json) and the result graph as RDFC-1.0 canonical N-Quads (nquads; None with
    nquads=False, or for an error row). A row that cannot be classified is a result row with its
    errors (status invalid, or error when the classifier raised), never a failed task.

    `position_column`, `source_column` and a `line` column are used when `df` has them (read_cases
    makes them), else the row's index in the DataFrame's order is its position. kb_root: the
    knowledge-base directory (default: DORSUM_KB, else the one that comes with dorsum). chunk: cases
    classified together in one engine run. The result is lazy, like any DataFrame: cache it, or
    write it once, rather than run two actions on it."""
    require_pyspark()
    from ..kb.knowledge_base import load_kb
    from .columns import spark_schema
    from .executor import kb_bundle

    spark = df.sparkSession
    kb = load_kb(kb_root)
    bundle = spark.sparkContext.broadcast(kb_bundle(kb))
    rows = _rows(df, json_column, position_column, source_column)
    results = rows.mapPartitions(partial(_partition, bundle, chunk, nquads))
    return spark.createDataFrame(results, spark_schema(kb.result_kinds), verifySchema=False)
