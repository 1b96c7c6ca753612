"""Bulk load (`dorsum load`): validate, classify and store every case of an input, streamed in chunks.

The input is classified a chunk at a time (in this process, or in worker processes: parallel_load)
while a background writer (case_store.ChunkWriter) stores the chunk before, so a few chunks are in
memory however long the input. Which case keeps an id that is given twice is intake's decision
(case.ids): the first; the later one is an error on that case, counted and recorded but never
written over the first. Kept out of the command so that the command only parses, calls and prints.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from ..case.ids import first_of_each_id
from .case_store import ChunkWriter, StoredCase, open_store, store_kb, stored_case, stored_kb_sha

FLUSH_EVERY_CHUNKS = 5  # RocksDB memtables to disk every few chunks: memory stays flat


@dataclass
class LoadCounts:
    """What a load did so far: cases classified and invalid, and (when a run manifest is kept)
    each case's run-manifest record."""

    classified: int = 0
    invalid: int = 0
    cases: dict | None = None
    start: float = field(default_factory=time.perf_counter)

    @property
    def total(self) -> int:
        return self.classified + self.invalid

    def rate(self) -> float:
        """Cases a second since the load started."""
        return self.total / max(time.perf_counter() - self.start, 1e-9)


def bulk_load(clf, store_path, inputs: Iterable, chunk: int, jobs: int = 1, kb_root=None,
              shacl_engine: str = "compiled", records: bool = False,
              progress: Callable[[LoadCounts], None] | None = None) -> LoadCounts:
    """Store every case of `inputs` in the store at `store_path` (made when new or empty), with the
    knowledge base of `clf` in its own graph; `progress` is called after each chunk. With
    `records`, LoadCounts.cases holds each case's run-manifest record. Raises a StoreError when the
    store is unusable or a write fails (every chunk before it is stored whole), a DorsumError when
    a worker process fails."""
    from ..repro.run_manifest import add_case

    counts = LoadCounts(cases={} if records else None)
    store = open_store(store_path, create=True)
    if stored_kb_sha(store) != clf.kb.sha256:
        store_kb(store, clf.kb)
    writer = ChunkWriter(store, FLUSH_EVERY_CHUNKS)  # chunk k is written while chunk k+1 is classified
    written: set = set()
    parallel = None
    try:
        if jobs > 1:
            from .parallel_load import ParallelLoad
            parallel = ParallelLoad(clf.kb, jobs, chunk, kb_root, shacl_engine, records=records)
            stream = parallel.chunks(inputs)
        else:
            stream = _classified_chunks(clf, inputs, chunk, records)
        for stored in stream:  # streamed: a few chunks in memory at a time
            writer.submit(first_of_each_id(stored, written))
            for c in stored:
                counts.classified += c.status == "classified"
                counts.invalid += c.status != "classified"
                if counts.cases is not None:
                    add_case(counts.cases, c.case_id, c.record)
            if progress is not None:
                progress(counts)
        writer.close()
    finally:
        if parallel is not None:
            parallel.close()
        writer.abort()
        writer = store = None  # release the store's lock now, even while an error propagates
        gc.collect()
    return counts


def _classified_chunks(clf, inputs: Iterable, chunk: int, records: bool) -> Iterator[list[StoredCase]]:
    """The input classified in this process, a chunk at a time, each case as the store writes it."""
    from ..repro.run_manifest import graph_record

    for results in clf.classify_chunks(inputs, chunk, view=False):
        yield [stored_case(r, graph_record(r) if records else None) for r in results]


def write_run_manifest(manifest, kb, inputs, chunk: int, store_path, cases: dict, to_url: str | None = None) -> None:
    """The run manifest of a load (LoadCounts.cases kept with `records`): what `dorsum verify`
    re-runs and compares. output.store: the store written (null when `--to` alone used a temporary
    one); output.to: the SPARQL store the graphs were sent to (`--to`), if any."""
    from pathlib import Path

    from ..repro.run_manifest import RunRecord, load_output, write

    output = {**load_output(kb, cases), "store": None if store_path is None else str(store_path)}
    if to_url:
        output["to"] = to_url
    write(Path(manifest), RunRecord("load", {"chunk": chunk}, [Path(p) for p in inputs], cases=cases, output=output), kb)


def load_digest(clf, inputs, options: dict) -> tuple[str, None, dict]:
    """Re-classify a recorded load (no store is written: `dorsum verify`) and return its output
    hash, None (a load has no canonical output) and its cases' run-manifest records."""
    from ..repro.run_manifest import add_case, graph_record, load_output

    cases: dict = {}
    for results in clf.classify_chunks(inputs, int(options.get("chunk", 200)), view=False):
        for r in results:
            add_case(cases, r.case_id, graph_record(r))
    return load_output(clf.kb, cases)["sha256"], None, cases
