"""A disk cache for the OWL RL closure of the knowledge base (and for other start-up work that
depends only on file contents: the engine's analysis of each query, see cached_json).

owlrl takes long to close the fixed TBox, and every command (and every test) that builds a
Classifier needs that closure. It depends only on the bytes of the knowledge-base files and on the
owlrl version, so it is stored as N-Triples under a key made of those; a changed file gives a new
key, and a damaged cache file is ignored and rewritten. DORSUM_CACHE_DIR chooses the directory
(default: $XDG_CACHE_HOME/dorsum or ~/.cache/dorsum); DORSUM_NO_CACHE=1 turns the cache off.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Callable

from rdflib import Graph, Literal

KEY_VERSION = b"dorsum-tbox-closure-v1\n"


def cache_dir() -> Path | None:
    if os.environ.get("DORSUM_NO_CACHE"):
        return None
    if os.environ.get("DORSUM_CACHE_DIR"):
        return Path(os.environ["DORSUM_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "dorsum"


def closure_key(kb) -> str:
    from importlib.metadata import version

    h = hashlib.sha256(KEY_VERSION)
    h.update(f"owlrl {version('owlrl')} rdflib {version('rdflib')}\n".encode())
    files = sorted(kb.paths.ontology.glob("*.ttl")) + sorted(kb.paths.rules.glob("*.rq"))
    for p in files:
        h.update(f"{p.relative_to(kb.paths.root).as_posix()}\0".encode())
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


ENVIRONMENT = object()  # "the directory the environment names" (see cache_dir)


def cached_closure(kb, compute: Callable[[], Graph], directory=ENVIRONMENT) -> Graph:
    """compute(), cached in `directory` (a Runtime's cache_dir; None: no cache; by default the
    directory the environment names)."""
    d = cache_dir() if directory is ENVIRONMENT else directory
    if d is None:
        return _drop_generalised(compute())
    path = d / f"tbox-{closure_key(kb)}.nt"
    if path.exists():
        try:
            g = Graph()
            g.parse(path, format="nt")
            if len(g):
                return g
        except Exception:  # a damaged cache file: recompute and rewrite it
            pass
    g = _drop_generalised(compute())
    try:
        d.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d, prefix=".tbox-", suffix=".nt")
        with os.fdopen(fd, "wb") as fh:
            fh.write(g.serialize(format="nt", encoding="utf-8"))
        os.replace(tmp, path)
    except OSError:  # a read-only home: run without the cache
        pass
    return g


def _drop_generalised(g: Graph) -> Graph:
    """owlrl works in generalised RDF; triples with a literal subject cannot be written as
    N-Triples and no rule can use them, so the cached and the fresh closure both drop them."""
    for t in [t for t in g if isinstance(t[0], Literal)]:
        g.remove(t)
    return g


def cached_json(kind: str, key: str, compute: Callable[[], object], directory=ENVIRONMENT):
    """compute(), a JSON value, cached under sha256(key): for start-up work that depends only on
    the key's text. A damaged or unreadable cache file is ignored and rewritten. directory: as
    for cached_closure."""
    d = cache_dir() if directory is ENVIRONMENT else directory
    if d is None:
        return compute()
    path = d / f"{kind}-{hashlib.sha256(key.encode('utf-8')).hexdigest()}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))["value"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    value = compute()
    try:
        d.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d, prefix=f".{kind}-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"value": value}, fh)
        os.replace(tmp, path)
    except OSError:  # a read-only home: run without the cache
        pass
    return value
