"""-v / -q: how much dorsum and the libraries it uses log (stdlib logging, on standard error).

By default only dorsum's own warnings are shown: rdflib, pySHACL, owlready2, pyLODE and the web
stack log freely about inputs dorsum already reports in its own words (an ill-typed literal, a
deprecated call), which is noise to a user. -v shows dorsum's progress and the libraries'
warnings; -vv everything; -q only errors."""

from __future__ import annotations

import logging

LIBRARIES = ("rdflib", "pyshacl", "owlrl", "owlready2", "pylode", "pyld", "uvicorn", "fastapi", "httpx", "asyncio")


def configure(verbose: int, quiet: bool) -> None:
    own, libraries = logging.WARNING, logging.ERROR
    if quiet:
        own, libraries = logging.ERROR, logging.CRITICAL
    elif verbose == 1:
        own, libraries = logging.INFO, logging.WARNING
    elif verbose >= 2:
        own, libraries = logging.DEBUG, logging.DEBUG
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(min(own, libraries))
    logging.getLogger("reasoner").setLevel(own)
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(libraries)
