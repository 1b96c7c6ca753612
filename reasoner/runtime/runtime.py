"""The one object that owns what a run holds besides the knowledge base: its worker threads, its
term cache, the on-disk cache directory and an optional observer. The pipeline makes one and passes
it down, so no module keeps an executor or a cache of its own and two classifiers share nothing by
accident."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..terms import Terms
from .cache import ENVIRONMENT, cache_dir


class Observer:
    """Hooks a benchmark attaches to see where time goes; the default does nothing. With an observer
    attached the shapes' queries run one after the other, so each is timed alone."""

    def query_ran(self, iri: str, seconds: float) -> None:
        """The engine ran query `iri` once (an inference step or a rule)."""

    def shape_query_ran(self, name: str, seconds: float) -> None:
        """The compiled validator ran the query of one shape (see shacl.compiled.query_name)."""


class Runtime:
    """Executors, caches and the cache directory of one classifier (and whatever it drives)."""

    def __init__(self, cache: Path | None | object = ENVIRONMENT, observer: Observer | None = None):
        self.cache_dir: Path | None = cache_dir() if cache is ENVIRONMENT else cache
        self.observer = observer
        self.terms = Terms()
        self._executors: dict[str, ThreadPoolExecutor] = {}

    def executor(self, name: str, workers: int) -> ThreadPoolExecutor:
        """A thread pool made on first use and kept for the runtime's life (threads are cheap to
        keep and dear to start per case)."""
        pool = self._executors.get(name)
        if pool is None:
            pool = self._executors[name] = ThreadPoolExecutor(workers, thread_name_prefix=f"dorsum-{name}")
        return pool
