"""The figures `make bench` compares against an older commit: warm single-case latency and the naive
per-case pipeline. Run in a child process so that the same code measures this checkout and a `git
worktree` of another commit (bench/base.py): whichever `reasoner` package comes first on
PYTHONPATH is measured. Imports both the current module layout and the one of v0.2.0 and earlier.

Usage: PYTHONPATH=CHECKOUT python bench/figures.py latency [K] | naive [K]   (prints one JSON object)
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import corpus


def _classifier_and_intake():
    try:
        from reasoner.pipeline import Classifier
        from reasoner.case.intake import flat_case
    except ImportError:  # v0.2.0 and earlier
        from reasoner.classify import Classifier
        from reasoner.intake import flat_case
    return Classifier, flat_case


def gc_policy() -> None:
    """What every dorsum process does (its GC thresholds), when the measured commit has it."""
    try:
        from reasoner.runtime.gc_policy import for_dorsum
    except ImportError:
        try:
            from reasoner.gc_policy import for_dorsum
        except ImportError:
            return
    for_dorsum()


def latency(k: int = 200) -> dict:
    """Warm single-case classify, one case at a time in one process: p50 and p95 in ms."""
    Classifier, flat_case = _classifier_and_intake()
    clf = Classifier()
    cases = [flat_case(c, c["id"], clf.ctx) for c in corpus.generate(k, seed=7)]
    clf.classify_input(cases[0])  # warm
    times = []
    for ci in cases:
        t = time.perf_counter()
        clf.classify_input(ci)
        times.append(time.perf_counter() - t)
    times.sort()
    return {"p50_ms": statistics.median(times) * 1000, "p95_ms": times[max(int(0.95 * len(times)) - 1, 0)] * 1000,
            "cases": k, "kb_sha256": getattr(clf.kb, "sha256", None)}


def naive(k: int) -> dict:
    """The pipeline a user would write by hand, per case, with the same knowledge base (rdflib graph,
    pyshacl.validate, an owlrl closure, each rule as a prepared rdflib query, strata to a fixpoint):
    its cases/s and whether its conclusions equal dorsum's on the sample."""
    import owlrl
    from pyshacl import validate
    from rdflib import Graph
    from rdflib.plugins.sparql import prepareQuery

    from reasoner.namespaces import DORSUM, PREFIXES
    Classifier, flat_case = _classifier_and_intake()
    clf = Classifier()
    rules = [(r.stratum, prepareQuery(r.text, initNs=PREFIXES)) for r in clf.kb.rules if r.status == "active"]
    strata = sorted({s for s, _ in rules})
    # the inference dorsum adds beyond OWL RL: the age normalisation first, then the age classes' definitions
    # (they read the normalised age), each once; then the engine's OWL RL steps to a fixpoint (superclasses)
    named = sorted(((str(getattr(q, "iri", "")), q.text.replace("GRAPH ?g {", "{").replace(
        "GRAPH <https://w3id.org/dorsum/graph/kb> {", "{")) for q in clf.engine.queries if not q.is_rule),
        key=lambda x: "normalisation" not in x[0])
    once = [text for iri, text in named if "owl-rl" not in iri]
    closure = [text for iri, text in named if "owl-rl" in iri]
    cases = [c for c in corpus.generate(40, seed=11)][:k]
    same, diffs = True, []
    t0 = time.perf_counter()
    for c in cases:
        ci = flat_case(c, c["id"], clf.ctx)
        g = Graph()
        g += ci.graph
        conforms, _, _ = validate(g, shacl_graph=clf.kb.case_shapes, ont_graph=clf.kb.graph, inference="none")
        if not conforms:
            continue
        g += clf.kb.graph
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(g)
        for q in once:
            for t in g.query(q):
                g.add(t)
        while closure:
            before = len(g)
            for q in closure:
                for t in g.query(q):
                    g.add(t)
            if len(g) == before:
                break
        for stratum in strata:
            while True:
                before = len(g)
                for s, q in rules:
                    if s == stratum:
                        for t in g.query(q):
                            g.add(t)
                if len(g) == before:
                    break
        ours = clf.classify_input(ci).graph
        pick = lambda gr: {str(s) for s in gr.subjects(DORSUM.aboutCase)  # noqa: E731
                           if "/conclusion/" in str(s) or "/missing/" in str(s)}
        if pick(g) != pick(ours):
            same = False
            diffs.append(c["id"])
    wall = time.perf_counter() - t0
    return {"cases_per_s": len(cases) / wall, "cases": len(cases), "same": same, "diffs": diffs,
            "kb_sha256": getattr(clf.kb, "sha256", None)}


if __name__ == "__main__":
    gc_policy()
    import reasoner
    what = sys.argv[1]
    arg = [int(a) for a in sys.argv[2:3]]
    out = latency(*arg) if what == "latency" else naive(*arg)
    out["reasoner"] = reasoner.__file__
    print(json.dumps(out))
