"""How often Python's cyclic garbage collector makes a full pass, for a dorsum process.

A dorsum process keeps a large, long-lived heap (the knowledge base as rdflib graphs, the engine's
term caches), and each full (generation 2) collection walks all of it: about 260 ms a pass. With
Python's default thresholds a `dorsum load` of 5,000 cases made 21 full passes, 5.5 s of a 35 s
load, holding the GIL throughout. The cyclic garbage a case leaves (its rdflib graph) is young and
is still freed by the cheap generation 0 and 1 passes, so full passes can be ten times rarer; Python
still makes one whenever the objects that survived since the last full pass exceed a quarter of the
heap, so memory stays bounded (peak RSS of that load: 638 MiB with the defaults, 618-630 with this).
"""

from __future__ import annotations

import gc

THRESHOLDS = (700, 10, 100)  # Python's defaults are (700, 10, 10): a full pass ten times rarer


def for_dorsum() -> None:
    """Set the thresholds for this process (the command line and each load worker call it)."""
    gc.set_threshold(*THRESHOLDS)
