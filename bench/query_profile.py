"""Where `make bench`'s time goes inside a load: each step of `dorsum load` a case (stages), and the
time of every rule, inference query and validation (shape) query at each size with its growth a
case between the two largest sizes (profile_table; a query growing faster than linearly is flagged)."""

from __future__ import annotations

import time
from pathlib import Path


class QueryTimes:
    """The observer the profile attaches (reasoner.runtime.runtime.Observer): seconds per engine
    query (by IRI) and per shape query (by name), summed."""

    def __init__(self):
        self.totals: dict = {}

    def query_ran(self, iri: str, seconds: float) -> None:
        self.totals[iri] = self.totals.get(iri, 0.0) + seconds

    shape_query_ran = query_ran


def rule_profile(n: int, src: Path, chunk: int = 200) -> dict:
    from reasoner.pipeline import Classifier
    from reasoner.runtime.runtime import Runtime
    times = QueryTimes()
    clf = Classifier(runtime=Runtime(observer=times))
    batch = []

    def run(b):
        prepared = clf.prepare(b)
        errors = clf.validate_many(b, prepared)
        valid = [(ci, p) for ci, p, e in zip(b, prepared, errors) if not e and p is not None]
        clf.engine.derive_batch([(ci.iri, p[0]) for ci, p in valid], converted=[p[1] for _, p in valid])
    for ci in clf.inputs([src]):
        batch.append(ci)
        if len(batch) >= chunk:
            run(batch)
            batch = []
    run(batch)
    return times.totals


def stages(src: Path, tmp: Path, chunk: int = 200) -> dict:
    """ms per case of each step of `dorsum load` (in one thread: the load overlaps the store write
    with the next chunk), and case-shape validation by pySHACL case by case on a sample."""
    import shutil as _shutil

    from reasoner import pipeline as C
    from reasoner.pipeline import Classifier
    from reasoner.store.case_store import open_store, store_kb, write_chunk
    clf = Classifier()
    t = time.perf_counter()
    cases = list(clf.inputs([src]))
    out = {"intake (JSON-LD)": time.perf_counter() - t}
    store_dir = tmp / "stages-store"
    _shutil.rmtree(store_dir, ignore_errors=True)
    store = open_store(store_dir, create=True)
    store_kb(store, clf.kb)
    for k in ("read triples", "validation (compiled shapes)", "inference (rules)", "provenance", "store write"):
        out[k] = 0.0
    for i in range(0, len(cases), chunk):
        b = cases[i:i + chunk]
        t = time.perf_counter()
        prepared = clf.prepare(b)
        t1 = time.perf_counter()
        errors = clf.validate_many(b, prepared)
        t2 = time.perf_counter()
        valid = [(ci, p) for ci, p, e in zip(b, prepared, errors) if not e and p is not None]
        derivations = clf.engine.derive_batch([(ci.iri, p[0]) for ci, p in valid], converted=[p[1] for _, p in valid])
        t3 = time.perf_counter()
        for ci, p in valid:
            C.provenance_triples(ci.iri, p[1], derivations[ci.iri], clf.kb, clf.ctx, self_contained=False)
        t4 = time.perf_counter()
        results = clf.classify_many(b, view=False)  # the same work once more, to write it
        t5 = time.perf_counter()
        write_chunk(store, results)
        t6 = time.perf_counter()
        out["read triples"] += t1 - t
        out["validation (compiled shapes)"] += t2 - t1
        out["inference (rules)"] += t3 - t2
        out["provenance"] += t4 - t3
        out["store write"] += t6 - t5
    del store
    n = len(cases)
    ms = {k: v / n * 1000 for k, v in out.items()}
    sample = [ci for ci in cases[:100] if ci.graph is not None]
    from reasoner.shacl.validate import CaseValidator
    ref = CaseValidator(clf.kb, clf.ctx, engine="pyshacl")
    t = time.perf_counter()
    for ci in sample:
        ref.validate(ci)
    ms["pySHACL validation, per case (reference, sample of 100)"] = (time.perf_counter() - t) / len(sample) * 1000
    return ms


def profile_table(loads: list) -> tuple[list[str], int | None, list]:
    """The per-query table (seconds at each size, growth a case from the smallest size to the largest)
    and how many queries it flags as superlinear (None with one size)."""
    lines = ["", "## Time per rule, inference query and validation (shape) query (seconds, summed over chunks of 200)\n",
             "growth: the cost a case at the largest size over the cost a case at the size before it; about 1 "
             "when a query's cost grows linearly with the cases; flagged when over 2 for a query taking at least "
             "0.5 s at the largest size (timings vary by up to 30% between runs).\n"]
    profiles = {r["n"]: rule_profile(r["n"], r["src"]) for r in loads}
    keys = sorted(set().union(*profiles.values()), key=lambda k: -max(p.get(k, 0) for p in profiles.values()))
    sizes = list(profiles)
    lines += ["| query | " + " | ".join(f"{n} cases" for n in sizes) + " | growth |", "|---|" + "---|" * (len(sizes) + 1)]
    flagged = 0
    for k in keys:
        prev = sizes[-2] if len(sizes) > 1 else sizes[0]
        first, last = profiles[prev].get(k, 0) / prev, profiles[sizes[-1]].get(k, 0) / sizes[-1]
        flag = len(sizes) > 1 and first > 0 and last / first > 2 and profiles[sizes[-1]].get(k, 0) >= 0.5
        flagged += flag
        growth = f"{last / first:.2f}" + (" **superlinear?**" if flag else "") if first > 0 and len(sizes) > 1 else ""
        lines.append(f"| {k.rsplit('/', 1)[-1]} | " + " | ".join(f"{profiles[n].get(k, 0):.2f}" for n in sizes) + f" | {growth} |")
    print("slowest queries:", ", ".join(f"{k.rsplit('/', 1)[-1]} {max(p.get(k, 0) for p in profiles.values()):.2f}s" for k in keys[:5]))
    return lines, (flagged if len(sizes) > 1 else None), sizes
