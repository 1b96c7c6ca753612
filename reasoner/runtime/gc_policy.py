"""How often Python's cyclic garbage collector makes a full pass, for a dorsum process.

A dorsum process keeps a large, long-lived heap (the knowledge base as rdflib graphs, the engine's
term caches), and each full (generation 2) collection walks all of it while holding the GIL, so
with Python's default thresholds a long `dorsum load` spends a noticeable share of its time in
them (bench/ measures it). The cyclic garbage a case leaves (its rdflib graph) is young and is still
freed by the cheap generation 0 and 1 passes, so full passes can be ten times rarer; Python still
makes one whenever the objects that survived since the last full pass exceed a quarter of the heap,
so memory stays bounded.
"""

from __future__ import annotations

import gc

THRESHOLDS = (700, 10, 100)  # Python's defaults are (700, 10, 10): a full pass ten times rarer


def for_dorsum() -> None:
    """Set the thresholds for this process (the command line and each load worker call it)."""
    gc.set_threshold(*THRESHOLDS)
