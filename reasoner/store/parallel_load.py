"""Classification in worker processes, for `dorsum load --jobs N`.

The main process reads the input's records (intake.read_records: cheap, in order) and sends them in
chunks to N worker processes, each with its own Classifier. A worker parses its records into cases,
classifies them as one chunk, and returns each case as the store writes it (store.StoredCase: id,
status, N-Triples text, run-manifest record). The main process takes the chunks back in input
order, applies the one check that needs the whole input (a repeated case id makes the later case
invalid, as intake.read_cases does) and writes. Results are the same as with one process: the same
code classifies each chunk, and a test compares the stores.

At most 2N chunks are in flight, so memory does not grow with the input. Workers ignore Ctrl-C (the
main process stops them) and exit when the main process dies, so a killed load leaves no process
behind.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from multiprocessing import get_context
from typing import Iterable, Iterator

from ..errors import DorsumError
from ..case.ids import CaseIds
from ..case.intake import CaseInput, read_records, record_cases
from .case_store import StoredCase, stored_case

_worker: dict = {}  # this worker process's Classifier: a process pool's initializer can keep state nowhere else


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(1)


def _init(kb_root, shacl_engine: str, records: bool, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    from ..runtime.gc_policy import for_dorsum

    for_dorsum()
    from ..pipeline import Classifier

    _worker["classifier"] = Classifier(kb_root=kb_root, shacl_engine=shacl_engine)
    _worker["records"] = records


def _classify(records: list) -> list[tuple]:
    """A chunk of records -> per case: (StoredCase, CaseInput without its graph, whether its id
    counts, its intake errors)."""
    from ..repro.run_manifest import graph_record

    clf = _worker["classifier"]
    cases: list[CaseInput] = [ci for r in records for ci in record_cases(r, clf.ctx)]
    meta = [(CaseIds.has_identity(ci), list(ci.errors)) for ci in cases]
    ids = CaseIds()  # a case repeating an id or IRI of this chunk is never classified next to it (it
    for ci in cases:  # would share its nodes); the main process gives it the error, as read_cases does
        ids.check(ci)
    results = clf.classify_many(cases, view=False)
    out = []
    for ci, (identity, intake_errors), r in zip(cases, meta, results):
        record = graph_record(r) if _worker["records"] else None
        out.append((stored_case(r, record), CaseInput(ci.case_id, ci.source, ci.iri), identity, intake_errors))
    return out


class ParallelLoad:
    """Classify the inputs in `jobs` worker processes; iterate chunks of StoredCases in input order."""

    def __init__(self, kb, jobs: int, chunk: int, kb_root=None, shacl_engine: str = "compiled",
                 records: bool = False):
        self.kb = kb
        self.jobs = jobs
        self.chunk = chunk
        self.records = records
        self.ids = CaseIds()
        self.pool = ProcessPoolExecutor(jobs, mp_context=get_context("spawn"), initializer=_init,
                                        initargs=(kb_root, shacl_engine, records, os.getpid()))

    def chunks(self, inputs: Iterable) -> Iterator[list[StoredCase]]:
        records = read_records(inputs)
        pending: deque = deque()
        try:
            while True:
                while len(pending) < 2 * self.jobs:
                    batch = list(islice(records, self.chunk))
                    if not batch:
                        break
                    pending.append(self.pool.submit(_classify, batch))
                if not pending:
                    return
                yield [self._checked(*item) for item in pending.popleft().result()]
        except BrokenProcessPool as exc:
            raise DorsumError(f"a worker process stopped unexpectedly ({exc}); every case already stored is "
                              "whole. Re-run the load (perhaps with fewer --jobs: each worker holds its own "
                              "knowledge base) to complete it.") from None
        finally:
            for f in pending:
                f.cancel()

    def _checked(self, stored: StoredCase, ci: CaseInput, identity: bool, intake_errors: list) -> StoredCase:
        """The case as stored, or, when its id was already used earlier in the input, invalid with
        that error (as read_cases makes it: no rule runs on it)."""
        repeated = self.ids.repeated(ci, identity)
        if repeated is None:
            return stored
        from ..pipeline import invalid_result
        from ..repro.run_manifest import graph_record

        result = invalid_result(ci, intake_errors + [repeated], self.kb, stored=True)  # as a worker makes it
        return stored_case(result, graph_record(result) if self.records else None)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
