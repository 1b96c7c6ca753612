"""`dorsum load`: validate, classify and store cases; stream the input in chunks."""

from __future__ import annotations

import sys

import click

from . import main
from .options import kb_option


@main.command("load")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--store", "store_path", type=click.Path(file_okay=False),
              help="Store directory: a store made by `dorsum load`, or a new or empty directory to make one in.")
@click.option("--to", "to_url", metavar="URL",
              help="Also (or, without --store, only) write the cases into another SPARQL 1.1 store: its Graph Store "
                   "endpoint, as `dorsum push --to` (credentials from DORSUM_STORE_USER and DORSUM_STORE_PASSWORD). "
                   "The cases are loaded into the --store directory (or a temporary one) first, then the knowledge "
                   "base's graph and the graphs of this load's cases are PUT, each replacing its graph there.")
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
def load_cmd(inputs, store_path, to_url, chunk, manifest, shacl_engine, jobs, kb_root):
    """Validate, classify and store every input case (invalid ones with their errors) in an on-disk
    store (--store), another SPARQL 1.1 store (--to), or both, one named graph per case. Exit 0 if
    every case was classified and written, 1 if any was invalid or failed to be written, 2 if --store
    is neither a store nor a new or empty directory, or is a damaged store (left as it is), or --to
    is no usable URL."""
    if not store_path and not to_url:
        raise click.UsageError("give --store DIR, --to URL, or both")
    if to_url and not store_path:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="dorsum-load-") as tmp:
            _load(inputs, tmp + "/store", to_url, chunk, manifest, shacl_engine, jobs, kb_root, "a temporary store")
    else:
        _load(inputs, store_path, to_url, chunk, manifest, shacl_engine, jobs, kb_root, store_path)


def _load(inputs, store_path, to_url, chunk, manifest, shacl_engine, jobs, kb_root, where):
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from ..errors import DorsumError
    from ..pipeline import Classifier
    from ..shacl.compiler import ShapeCompileError
    from ..store.bulk_load import bulk_load, write_run_manifest
    from .guards import click_error, refuse_output_read_as_input

    jobs = _jobs(jobs)
    refuse_output_read_as_input(manifest, inputs, "manifest")
    if to_url:
        from ..store.remote import check_url
        try:
            check_url(to_url)
        except DorsumError as exc:
            raise click_error(exc) from None
    try:
        clf = Classifier(kb_root=kb_root, shacl_engine=shacl_engine)
    except ShapeCompileError as exc:
        raise click.ClickException(f"the case shapes cannot be compiled: {exc}") from None
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  disable=not sys.stderr.isatty(), transient=True) as progress:
        task = progress.add_task("loading", total=None)

        def show(counts) -> None:
            progress.update(task, description=f"{counts.total} cases ({counts.invalid} invalid), "
                                              f"{counts.rate():.0f} cases/s")
        try:
            counts = bulk_load(clf, store_path, inputs, chunk, jobs, kb_root, shacl_engine,
                               records=bool(manifest or to_url), progress=show)
        except DorsumError as exc:  # the store (unusable: exit 2; busy: 3), or a worker's failure
            raise click_error(exc) from None
    click.echo(f"loaded {counts.total} cases into {where}: {counts.classified} classified, {counts.invalid} invalid, "
               f"{counts.rate():.1f} cases/s")
    if manifest:
        kept = store_path if where == store_path else None  # a temporary store is gone when the command ends
        write_run_manifest(manifest, clf.kb, inputs, chunk, kept, counts.cases, to_url)
    pushed = 0 if not to_url else _push(store_path, to_url, counts.cases)
    sys.exit(1 if counts.invalid or pushed else 0)


def _push(store_path, url, cases: dict) -> int:
    """PUT the knowledge base's graph and the graphs of this load's cases (records kept by
    bulk_load: a key is a case id, or id#n for a later case with a repeated id, which was not stored
    and so is not found); the exit code of `dorsum push`."""
    from ..errors import DorsumError
    from ..store.case_store import case_graph_iri
    from ..store.remote import push_store
    from .guards import click_error
    from .push_cmd import progress_printer, report

    try:
        summary = push_store(store_path, url, only={case_graph_iri(c) for c in cases}, progress=progress_printer())
    except DorsumError as exc:
        raise click_error(exc) from None
    return report(summary)


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

