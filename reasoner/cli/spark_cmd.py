"""`dorsum spark`: classify JSON Lines or Parquet on Apache Spark, write Parquet (the extra dorsum[spark])."""

from __future__ import annotations

import sys

import click

from . import main
from .options import kb_option


class NeedsPySpark(click.Command):
    """A command that says the extra is needed (exit 2) before anything else, --help included."""

    def parse_args(self, ctx, args):
        try:
            import pyspark  # noqa: F401
        except ImportError:
            click.echo("Error: `dorsum spark` needs PySpark, the optional extra: pip install 'dorsum[spark]'", err=True)
            ctx.exit(2)
        return super().parse_args(ctx, args)


@main.command("spark", cls=NeedsPySpark)
@click.argument("inputs", nargs=-1, required=True)
@click.option("--out", "out", required=True, help="Directory (local, hdfs://, s3a://, ...) to write the results to, as Parquet.")
@click.option("--partition-by", "partition_by", multiple=True, metavar="COLUMN",
              help="Partition the Parquet output by this result column (repeatable), e.g. status or urgency_level.")
@click.option("--input-format", type=click.Choice(["auto", "jsonl", "parquet"]), default="auto", show_default=True,
              help="auto: Parquet when every input file ends in .parquet, else JSON Lines (one case a line).")
@click.option("--json-column", default="case", show_default=True,
              help="The Parquet input's string column holding one flat JSON case a row.")
@click.option("--mode", type=click.Choice(["error", "overwrite"]), default="error", show_default=True,
              help="When --out exists: error (refuse) or overwrite it.")
@click.option("--master", default=None,
              help="Spark master (e.g. local[2], yarn). Default: the one spark-submit gives, else local[*].")
@click.option("--chunk", default=200, show_default=True, type=click.IntRange(1, 100000),
              help="Cases each executor classifies together in one engine run.")
@click.option("--nquads/--no-nquads", default=True, show_default=True,
              help="Carry each case's result graph as canonical N-Quads (the nquads column).")
@click.option("--manifest", "manifest", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Also write a run manifest: versions, the knowledge base's files, every input file and "
                   "every Parquet file written, each with its SHA-256 (local inputs and output only).")
@kb_option
def spark_cmd(inputs, out, partition_by, input_format, json_column, mode, master, chunk, nquads, manifest, kb_root):
    """Classify cases on Apache Spark: read JSON Lines (one flat JSON case a line) or Parquet, write
    one result row per case as Parquet under --out: position, source, case_id, status, errors, the
    conclusions as flat columns (urgency_level, urgency_days, actions, warnings, differential,
    risk_factors, missing), kb_version, kb_sha256, the JSON result and the result graph as canonical
    N-Quads. A bad case is a row with its errors, never a failed task. Runs under spark-submit too
    (see the README). Exit 0 if every case was classified, 1 if any was invalid or failed, 2 for
    unusable options. Needs the extra: pip install 'dorsum[spark]'."""
    from ..kb.knowledge_base import load_kb
    from ..spark.classify import classify_dataframe
    from ..spark.output import OutputProblem, is_local, write_manifest, write_parquet
    from ..spark.reading import list_files, read_cases
    from ..spark.session import session

    if manifest and not all(is_local(p) for p in (*inputs, out)):
        raise click.UsageError("--manifest hashes the input and output files: it needs local paths")
    spark = session(master)
    try:
        files = [uri for uri, _ in list_files(spark, inputs)]
        cases = read_cases(spark, inputs, input_format, json_column)
        results = classify_dataframe(cases, kb_root, json_column, chunk=chunk, nquads=nquads)
        counts = write_parquet(results, out, partition_by, "errorifexists" if mode == "error" else "overwrite")
    except (OutputProblem, ValueError, FileNotFoundError) as exc:
        err = click.ClickException(str(exc))
        err.exit_code = 2
        raise err from None
    except Exception as exc:  # Spark's own errors (an existing --out, say) on one line
        if type(exc).__name__ != "AnalysisException":
            raise
        err = click.ClickException(" ".join(str(exc).split())[:400])
        err.exit_code = 2
        raise err from None
    total = sum(counts.values())
    click.echo(f"classified {total} cases into {out}: " + ", ".join(f"{n} {s}" for s, n in counts.items()), err=True)
    if manifest:
        options = {"partition_by": list(partition_by), "input_format": input_format, "json_column": json_column,
                   "chunk": chunk, "nquads": nquads, "master": spark.sparkContext.master}
        write_manifest(manifest, load_kb(kb_root), files, out, options, counts)
    sys.exit(0 if counts.get("classified", 0) == total else 1)
