"""The persistent case store: an on-disk Oxigraph (RocksDB) store, nothing to install or start.

Graph IRI scheme (documented in the README):
- the knowledge base:      https://w3id.org/dorsum/graph/kb   (ontology + rule headers + a node
                           https://w3id.org/dorsum/graph/kb/info with version and SHA-256)
- one graph per case:      https://w3id.org/dorsum/graph/case/<percent-encoded case id>
                           holding the case's input, everything inferred, the PROV-O provenance and
                           the result node (status, errors, knowledge-base version and hash).

Writes go in chunks, each one atomic write, so a case is always either fully stored or absent,
re-loading a case id replaces it, and an interrupted load leaves a consistent store that a re-run
completes:
- a chunk whose cases are all new to the store goes through Oxigraph's bulk loader: it writes the
  chunk's sorted index files (SSTs) and RocksDB ingests them all in one IngestExternalFiles call,
  which is atomic across the store's indexes (all files are ingested, or after a crash none is).
  It is about twice as fast as a transaction, writes no write-ahead log, and runs without the GIL;
- a chunk with a case already stored is one SPARQL update (one transaction) that drops the old
  graphs and inserts the new ones together, so a reader never sees a re-loaded case absent.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef

from .errors import DorsumError
from .namespaces import DORSUM, KB_GRAPH

CASE_GRAPH_BASE = "https://w3id.org/dorsum/graph/case/"
KB_INFO = URIRef(KB_GRAPH + "/info")


class StoreError(DorsumError):
    """The store cannot be opened or written; the message says why and what to do."""


def case_graph_iri(case_id: str) -> str:
    return CASE_GRAPH_BASE + quote(case_id, safe="-._~")


def open_store(path: str | Path, read_only: bool = False) -> ox.Store:
    path = Path(path)
    try:
        if read_only:
            if not path.exists():
                raise StoreError(f"no store at {path}: create one with `dorsum load ... --store {path}`")
            try:  # a writer that was killed leaves a write-ahead log: a read-write open recovers it
                recovered = ox.Store(str(path))
                recovered.flush()
                del recovered
            except (OSError, RuntimeError):
                pass  # another process holds the store (a load or serve): read its last committed state
            return ox.Store.read_only(str(path))
        return ox.Store(str(path))
    except (OSError, RuntimeError) as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise StoreError(f"the store at {path} is locked: another dorsum process (load or serve) is using it. "
                             "Wait for it to finish or stop it, then retry.") from exc
        if "read-only" in text.lower() or "permission" in text.lower():
            raise StoreError(f"cannot write the store at {path}: {text}. Check the directory's permissions "
                             "and free space; stored cases are unchanged.") from exc
        raise StoreError(f"cannot open the store at {path}: {text}. If it is corrupted, restore a backup "
                         "or load the cases again into a new directory.") from exc


def _nt_lines(g: Graph) -> str:
    return g.serialize(format="nt", encoding="utf-8").decode("utf-8")


def store_kb(store: ox.Store, kb) -> None:
    """Load the knowledge base once into its own graph, with its version and hash (replacing any older one)."""
    g = Graph()
    g += kb.graph
    g.add((KB_INFO, DORSUM.knowledgeBaseVersion, Literal(kb.version)))
    g.add((KB_INFO, DORSUM.knowledgeBaseSha256, Literal(kb.sha256)))
    update = f"DROP SILENT GRAPH <{KB_GRAPH}> ;\nINSERT DATA {{ GRAPH <{KB_GRAPH}> {{\n{_nt_lines(g)}}} }}"
    _update(store, update)


def stored_kb_sha(store: ox.Store) -> str | None:
    q = f"SELECT ?sha WHERE {{ GRAPH <{KB_GRAPH}> {{ <{KB_INFO}> <{DORSUM.knowledgeBaseSha256}> ?sha }} }}"
    for row in store.query(q):
        return row["sha"].value
    return None


@dataclass(frozen=True)
class StoredCase:
    """What the store writes for one case: its id and its result graph as N-Triples text (blank
    nodes relabelled fresh, a repeated triple once); status and record (its run-manifest entry,
    when one is kept) travel with it. Built where the case was classified, possibly a worker
    process, so the writing process only formats text."""

    case_id: str
    status: str
    nt: str
    record: dict | None = None


def stored_case(result, record: dict | None = None) -> StoredCase:
    """A CaseResult as the store writes it. Blank nodes get fresh labels, as INSERT DATA gives
    them, so two loads or two cases never share one."""
    fresh: dict = {}

    def node(term):
        if isinstance(term, ox.BlankNode):
            return fresh.setdefault(term, ox.BlankNode())
        return term

    triples = [t if not (isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode))
               else ox.Triple(node(t.subject), t.predicate, node(t.object)) for t in dict.fromkeys(result.ox_triples())]
    nt = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
    return StoredCase(result.case_id, result.status, nt, record)


def write_chunk(store: ox.Store, cases) -> None:
    """Store a chunk of cases (StoredCases, or CaseResults) in one atomic write (see the module
    docstring): the bulk loader when every case is new, else one SPARQL update that drops the
    graphs already stored and inserts the new ones."""
    if not cases:
        return
    latest = {}
    for c in cases:  # the same id twice in one chunk: the later case wins, as in a later chunk
        latest[c.case_id] = c if isinstance(c, StoredCase) else stored_case(c)
    cases = list(latest.values())
    stored = [c for c in cases if store.contains_named_graph(ox.NamedNode(case_graph_iri(c.case_id)))]
    if not stored:
        _bulk_write(store, cases)
        return
    drops = [f"DROP SILENT GRAPH <{case_graph_iri(c.case_id)}> ;\n" for c in stored]
    inserts = [f"GRAPH <{case_graph_iri(c.case_id)}> {{\n{c.nt}}}" for c in cases]
    update = "".join(drops) + "INSERT DATA {\n" + "\n".join(inserts) + "\n}"
    _update(store, update)


def _bulk_write(store: ox.Store, cases: list[StoredCase]) -> None:
    """New cases, as N-Quads, through the bulk loader (one atomic ingestion)."""
    # N-Triples escapes every line break inside a literal, so " .\n" ends a statement and nothing else
    text = "".join(c.nt.replace(" .\n", f" <{case_graph_iri(c.case_id)}> .\n") for c in cases)
    try:
        # lenient: the text is Oxigraph's own serialisation of terms it already checked, so the
        # parser's IRI validation would only repeat that (about 0.5 ms a case)
        store.bulk_load(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS, lenient=True)
    except OSError as exc:
        raise StoreError(f"writing to the store failed: {exc}. Stored cases are unchanged (the write was "
                         "one atomic ingestion); free space or fix permissions and re-run the load.") from exc


class ChunkWriter:
    """Writes chunks of cases (StoredCases or CaseResults) to a store from one background thread, in order, while the
    caller classifies the next chunk (pyoxigraph releases the GIL while RocksDB writes). At most
    one chunk waits. The first failure stops the writer -- no later chunk is written, so the store
    holds every chunk before the failed one and nothing after -- and is raised by the next
    submit() or by close()."""

    def __init__(self, store: ox.Store, flush_every: int = 5):
        self.store = store
        self.flush_every = flush_every  # RocksDB memtables to disk every few chunks: memory stays flat
        self._queue: queue.Queue = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="dorsum-store-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        written = 0
        while True:
            results = self._queue.get()
            if results is None:
                return
            if self._error is not None:
                continue  # after a failure nothing more is written
            try:
                write_chunk(self.store, results)
                written += 1
                if written % self.flush_every == 0:
                    self.store.flush()
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                self._error = exc

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def submit(self, results) -> None:
        self._raise()
        self._queue.put(results)

    def close(self) -> None:
        """Write what is queued, stop the thread, raise the first failure, flush the store."""
        self._queue.put(None)
        self._thread.join()
        self._raise()
        self.store.flush()

    def abort(self) -> None:
        """Stop after what is queued (the caller is already handling an error)."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()


def _update(store: ox.Store, update: str) -> None:
    try:
        store.update(update)
    except OSError as exc:
        raise StoreError(f"writing to the store failed: {exc}. Stored cases are unchanged (the write was "
                         "one transaction); free space or fix permissions and re-run the load.") from exc
