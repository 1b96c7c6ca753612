"""Results out, on Spark: Parquet partitioned by the columns the user names, and a run manifest (as
`dorsum classify --manifest` writes one) recording the inputs, the knowledge base and every output
file with its SHA-256. A manifest needs local inputs and output: it hashes their bytes."""

from __future__ import annotations

from pathlib import Path


class OutputProblem(ValueError):
    """A request the output cannot honour (an unknown or list column to partition by)."""


def check_partition_columns(df, columns) -> None:
    """Each column to partition by must be a flat column of the results that is not a list."""
    from pyspark.sql.types import ArrayType

    fields = {f.name: f for f in df.schema.fields}
    for name in columns:
        if name not in fields:
            raise OutputProblem(f"cannot partition by {name!r}: no such column; the columns are {', '.join(fields)}")
        if isinstance(fields[name].dataType, ArrayType):
            raise OutputProblem(f"cannot partition by {name!r}: it is a list column; partition by one of "
                                + ", ".join(n for n, f in fields.items() if not isinstance(f.dataType, ArrayType)
                                            and n not in ("result_json", "nquads", "position", "source")))


def write_parquet(df, out: str, partition_by=(), mode: str = "errorifexists") -> dict:
    """Write the results as Parquet under `out`, partitioned by `partition_by`; return the counts of
    each status, read back from what was written (one classification, not two)."""
    check_partition_columns(df, partition_by)
    writer = df.write.mode(mode)
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    writer.parquet(out)
    spark = df.sparkSession
    counts = {r["status"]: r["count"] for r in spark.read.parquet(out).groupBy("status").count().collect()}
    return dict(sorted(counts.items()))


def is_local(path: str) -> bool:
    return "://" not in str(path) or str(path).startswith("file:")


def local_path(path: str) -> Path:
    """A local path given as a path or a file: URI."""
    from urllib.parse import unquote, urlparse

    s = str(path)
    return Path(unquote(urlparse(s).path)) if s.startswith("file:") else Path(s)


def output_files(out: Path) -> dict[str, dict]:
    """Every data file written under `out` (Spark's hidden checksum files left out): path relative
    to `out` -> its SHA-256 and size."""
    from ..repro.run_manifest import sha256_file

    return {p.relative_to(out).as_posix(): {"sha256": sha256_file(p), "bytes": p.stat().st_size}
            for p in sorted(out.rglob("*")) if p.is_file() and not p.name.startswith(".")}


def write_manifest(manifest: str, kb, input_files: list[str], out: str, options: dict, counts: dict) -> dict:
    """The run manifest of a `dorsum spark` run: command "spark", its options, the knowledge base
    (version, hash, every file's SHA-256), every input file's SHA-256, and the Parquet files written
    with their SHA-256 and the counts of each status (each row carries its result's SHA-256)."""
    from ..repro.run_manifest import RunRecord, rel, sha256_text, write

    mpath = Path(manifest)
    mdir = mpath.resolve().parent
    out_dir = local_path(out)
    files = output_files(out_dir)
    digest = sha256_text("".join(f"{name}\t{f['sha256']}\n" for name, f in files.items()))
    record = RunRecord("spark", options, [local_path(f) for f in input_files], cases={}, output={
        "path": rel(out_dir, mdir), "format": "parquet", "partition_by": list(options.get("partition_by", [])),
        "files": files, "rows": sum(counts.values()), "statuses": counts,
        "invalid": counts.get("invalid", 0), "errors": counts.get("error", 0),
        "sha256": digest, "canonical_sha256": None})
    return write(mpath, record, kb)
