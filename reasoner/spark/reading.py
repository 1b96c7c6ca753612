"""Cases in, on Spark: JSON Lines files (one case a line, as `dorsum classify` reads .jsonl) or
Parquet files with a string column holding one flat JSON case a row.

Files are listed through Hadoop's file systems (local paths, hdfs://, s3a://, ...), directories
expanded to their files in name order (hidden and _-prefixed files such as _SUCCESS left out).
A JSON Lines row keeps its file and line (source "cases.jsonl:12", as dorsum classify names it)
and its position in the whole input (files in the order given, lines in file order); blank lines
are skipped, as dorsum classify skips them.
"""

from __future__ import annotations

from pathlib import PurePosixPath

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")


def list_files(spark, paths) -> list[tuple[str, str]]:
    """(URI for Spark, name to show) of every input file, directories expanded in name order."""
    sc = spark.sparkContext
    jvm, conf = sc._jvm, sc._jsc.hadoopConfiguration()
    out: list[tuple[str, str]] = []
    for given in map(str, paths):
        hpath = jvm.org.apache.hadoop.fs.Path(given)
        fs = hpath.getFileSystem(conf)
        statuses = fs.globStatus(hpath)
        if statuses is None or len(statuses) == 0:
            raise FileNotFoundError(f"{given}: no such file or directory")
        for st in sorted(statuses, key=lambda s: s.getPath().toString()):
            if not st.isDirectory():
                out.append((st.getPath().toString(), given if len(statuses) == 1 else st.getPath().toString()))
                continue
            children = sorted((c for c in fs.listStatus(st.getPath()) if c.isFile()), key=lambda c: c.getPath().getName())
            for c in children:
                name = c.getPath().getName()
                if not name.startswith((".", "_")):
                    shown = str(PurePosixPath(given) / name) if len(statuses) == 1 else c.getPath().toString()
                    out.append((c.getPath().toString(), shown))
    return out


def is_parquet(files: list[tuple[str, str]]) -> bool:
    return bool(files) and all(uri.endswith(".parquet") for uri, _ in files)


def read_jsonl(spark, paths):
    """A DataFrame (position, source, line, case) of every non-blank line of the JSON Lines inputs."""
    files = list_files(spark, paths)
    sc = spark.sparkContext
    if not files:
        raise FileNotFoundError(f"no input files in {', '.join(map(str, paths))}")
    rdds = [sc.textFile(uri) for uri, _ in files]
    union = sc.union(rdds)
    # one pass counts each partition's lines: each partition's first line in its file and in the input
    sizes = union.mapPartitions(lambda it: [sum(1 for _ in it)]).collect()
    starts, p, position = [], 0, 0
    for i, rdd in enumerate(rdds):
        line = 0
        for _ in range(rdd.getNumPartitions()):
            starts.append((files[i][1], line, position))
            line += sizes[p]
            position += sizes[p]
            p += 1

    def number(index, lines):
        name, first_line, first_position = starts[index]
        for k, text in enumerate(lines):
            if text.strip():
                yield first_position + k, f"{name}:{first_line + k + 1}", first_line + k + 1, text

    rows = union.mapPartitionsWithIndex(number)
    return spark.createDataFrame(rows, "position bigint, source string, line int, `case` string")


def read_cases(spark, paths, input_format: str = "auto", json_column: str = "case"):
    """The cases of `paths` as a DataFrame classify_dataframe reads: JSON Lines (input_format
    "jsonl") or Parquet ("parquet", with the cases in `json_column`); "auto": Parquet when every
    input file ends in .parquet, else JSON Lines."""
    if input_format == "auto":
        input_format = "parquet" if is_parquet(list_files(spark, paths)) else "jsonl"
    if input_format == "jsonl":
        df = read_jsonl(spark, paths)
        return df if json_column == "case" else df.withColumnRenamed("case", json_column)
    if input_format == "parquet":
        df = spark.read.parquet(*map(str, paths))
        if json_column not in df.columns:
            raise ValueError(f"the Parquet input has no column {json_column!r} (it has {', '.join(df.columns)}): "
                             "name the column holding the cases")
        return df
    raise ValueError(f"unknown input format {input_format!r}: expected auto, jsonl or parquet")
