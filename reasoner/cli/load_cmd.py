"""`dorsum load`: validate, classify and store cases; stream the input in chunks."""

from __future__ import annotations

import gc
import sys
import time

import click

from . import main
from .options import kb_option

FLUSH_EVERY_CHUNKS = 5


@main.command("load")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--store", "store_path", required=True, type=click.Path(file_okay=False),
              help="Store directory: a store made by `dorsum load`, or a new or empty directory to make one in.")
@click.option("--chunk", default=1000, show_default=True, type=click.IntRange(1, 100000),
              help="Cases per transaction: classified together and written in one atomic write. Larger "
                   "chunks write faster (fewer, larger index files to merge) and hold more in memory.")
@click.option("--manifest", "manifest", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Also write a run manifest (versions, SHA-256 of every knowledge-base file and input, "
                   "a hash of every stored case graph) that `dorsum verify` can check.")
@click.option("--shacl-engine", type=click.Choice(["compiled", "pyshacl"]), default="compiled", show_default=True,
              help="How the case shapes are checked: compiled to SPARQL and run once per chunk, or pySHACL "
                   "case by case (the reference; the same errors, far slower).")
@click.option("--jobs", "-j", default="1", show_default=True, metavar="N|auto",
              help="Worker processes that classify chunks in parallel ('auto': one per CPU). The stored "
                   "results are the same for any N; each worker holds its own knowledge base and chunk "
                   "(about 300 MB with the default chunk).")
@kb_option
def load_cmd(inputs, store_path, chunk, manifest, shacl_engine, jobs, kb_root):
    """Validate, classify and store every input case (invalid ones with their errors) in an on-disk
    store, one named graph per case. Exit 0 if every case was classified, 1 if any was invalid, 2
    if --store is neither a store nor a new or empty directory, or is a damaged store (left as it is)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from ..pipeline import Classifier
    from ..repro.run_manifest import add_case, graph_record
    from ..shacl.compiler import ShapeCompileError
    from ..errors import DorsumError
    from ..store.case_store import ChunkWriter, StoreError, open_store, store_kb, stored_kb_sha, stored_case
    from .guards import click_error, refuse_output_read_as_input

    jobs = _jobs(jobs)
    refuse_output_read_as_input(manifest, inputs, "manifest")
    try:
        clf = Classifier(kb_root=kb_root, shacl_engine=shacl_engine)
    except ShapeCompileError as exc:
        raise click.ClickException(f"the case shapes cannot be compiled: {exc}") from None
    try:
        store = open_store(store_path, create=True)
        if stored_kb_sha(store) != clf.kb.sha256:
            store_kb(store, clf.kb)
    except StoreError as exc:
        raise click_error(exc) from None
    counts = {"classified": 0, "invalid": 0}
    cases: dict | None = {} if manifest else None
    start = time.perf_counter()
    console_progress = sys.stderr.isatty()
    writer = ChunkWriter(store, FLUSH_EVERY_CHUNKS)  # chunk k is written while chunk k+1 is classified
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  disable=not console_progress, transient=True) as progress:
        task = progress.add_task("loading", total=None)
        written: set = set()  # a repeated id is an error on the later case, which must not replace the first

        def record(stored):
            first = []
            for c in stored:
                if c.case_id not in written:
                    written.add(c.case_id)
                    first.append(c)
            writer.submit(first)
            for c in stored:
                counts[c.status] += 1
                if cases is not None:
                    add_case(cases, c.case_id, c.record)
            n = counts["classified"] + counts["invalid"]
            progress.update(task, description=f"{n} cases ({counts['invalid']} invalid), "
                            f"{n / max(time.perf_counter() - start, 1e-9):.0f} cases/s")

        parallel = None
        try:
            if jobs > 1:
                from ..store.parallel_load import ParallelLoad
                parallel = ParallelLoad(clf.kb, jobs, chunk, kb_root, shacl_engine, records=cases is not None)
                stream = parallel.chunks(inputs)
            else:
                stream = ([stored_case(r, graph_record(r) if cases is not None else None) for r in results]
                          for results in clf.classify_chunks(inputs, chunk, view=False))
            for stored in stream:  # streamed: a few chunks in memory at a time
                record(stored)
            writer.close()
        except DorsumError as exc:  # a StoreError (a damaged store: exit 2), or a worker's failure
            raise click_error(exc) from None
        finally:
            if parallel is not None:
                parallel.close()
            writer.abort()
            writer = store = None  # release the store's lock now, even while an error propagates
            gc.collect()
    n = counts["classified"] + counts["invalid"]
    elapsed = time.perf_counter() - start
    click.echo(f"loaded {n} cases into {store_path}: {counts['classified']} classified, {counts['invalid']} invalid, "
               f"{n / max(elapsed, 1e-9):.1f} cases/s")
    if manifest:
        from pathlib import Path

        from ..repro.run_manifest import RunRecord, load_output, write
        write(Path(manifest), RunRecord("load", {"chunk": chunk}, [Path(p) for p in inputs], cases=cases,
                                        output={**load_output(clf.kb, cases), "store": str(store_path)}), clf.kb)
    sys.exit(1 if counts["invalid"] else 0)


def _jobs(value: str) -> int:
    import os

    if value == "auto":
        return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise click.BadParameter(f"'{value}' is not a number of worker processes: expected a whole number "
                                 "of at least 1, or 'auto'", param_hint="--jobs")
    return n


def load_digest(clf, inputs, options: dict) -> tuple[str, None, dict]:
    """Re-classify a recorded load (no store is written) and return its output hash and cases."""
    from ..repro.run_manifest import add_case, graph_record, load_output

    cases: dict = {}
    for results in clf.classify_chunks(inputs, int(options.get("chunk", 200)), view=False):
        for r in results:
            add_case(cases, r.case_id, graph_record(r))
    return load_output(clf.kb, cases)["sha256"], None, cases
