"""Print what per-case OWL RL costs with owlrl (full closure of knowledge base + case) and with
dorsum's engine (TBox closed once, OWL RL steps as SPARQL per case), on the vignettes.

Run: .venv/bin/python bench/owl_rl_cost.py [N]   (N vignettes for owlrl, default 3: it is slow)
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import owlrl
from rdflib import Graph

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reasoner.pipeline import Classifier  # noqa: E402
from reasoner.case.intake import flat_case  # noqa: E402


def main(n: int) -> None:
    t0 = time.perf_counter()
    clf = Classifier()
    print(f"engine start (KB load + owlrl TBox closure, once): {time.perf_counter() - t0:.2f} s")
    paths = sorted((ROOT / "tests" / "vignettes").glob("*.json"))
    cases = [flat_case(json.loads(p.read_text()), p.stem, clf.ctx) for p in paths]
    ours = []
    for ci in cases:
        t = time.perf_counter()
        clf.engine.derive(ci.graph)
        ours.append(time.perf_counter() - t)
    print(f"dorsum engine, inference + all rules per case: median {1000 * statistics.median(ours):.1f} ms over {len(cases)} cases")
    theirs = []
    for ci in cases[:n]:
        g = Graph()
        g += clf.kb.graph
        g += ci.graph
        t = time.perf_counter()
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(g)
        theirs.append(time.perf_counter() - t)
    print(f"owlrl full closure per case (no rules):        median {1000 * statistics.median(theirs):.1f} ms over {n} cases")
    print(f"ratio: {statistics.median(theirs) / statistics.median(ours):.0f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
