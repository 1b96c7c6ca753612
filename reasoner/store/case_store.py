"""The persistent case store: an on-disk Oxigraph (RocksDB) store, nothing to install or start.

Graph IRI scheme (documented in the README):
- the knowledge base:      https://w3id.org/dorsum/graph/kb   (ontology + rule headers + a node
                           https://w3id.org/dorsum/graph/kb/info with version and SHA-256)
- one graph per case:      https://w3id.org/dorsum/graph/case/<percent-encoded case id>
                           holding the case's input, everything inferred, the PROV-O provenance and
                           the result node (status, errors, knowledge-base version and hash).

Writes go in chunks, each one atomic write, so a case is always either fully stored or absent,
re-loading a case id in a later load replaces it (within one input the first case with an id
keeps it: case.ids), and an interrupted load leaves a consistent store that a re-run completes:
- a chunk whose cases are all new to the store goes through Oxigraph's bulk loader: it writes the
  chunk's sorted index files (SSTs) and RocksDB ingests them all in one IngestExternalFiles call,
  which is atomic across the store's indexes (all files are ingested, or after a crash none is).
  It is faster than a transaction, writes no write-ahead log, and runs without the GIL;
- a chunk with a case already stored is one SPARQL update (one transaction) that drops the old
  graphs and inserts the new ones together, so a reader never sees a re-loaded case absent.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef

from ..case.ids import first_of_each_id
from ..errors import DorsumError
from ..namespaces import DORSUM, KB_GRAPH, case_id_segment

CASE_GRAPH_BASE = "https://w3id.org/dorsum/graph/case/"
KB_INFO = URIRef(KB_GRAPH + "/info")


class StoreError(DorsumError):
    """The store cannot be opened or written; the message says why and what to do."""

    exit_code = 1


class StoreUnusable(StoreError):
    """The directory given as a store is no usable store: missing, empty, not a store, or damaged.
    Nothing in it was changed. Commands exit 2 for it, as for any unusable input."""

    exit_code = 2


class StoreBusy(StoreError):
    """The store is locked by another process (a `dorsum load` or `dorsum serve`): nothing is wrong
    with it, so commands exit with their own code (errors.EXIT_BUSY) and a script can retry."""

    exit_code = 3


STORE_FILES = "CURRENT, MANIFEST-* and OPTIONS-* files"  # what an Oxigraph (RocksDB) store directory has
ADVICE = "it was left as it is: restore a backup, or load the cases again into a new directory"
# files only RocksDB writes: a directory with one of them but not a whole store is a damaged store
_ROCKSDB_FILE = re.compile(r"CURRENT|IDENTITY|MANIFEST-\d+|OPTIONS-\d+|\d+\.(sst|log|blob)")


def case_graph_iri(case_id: str) -> str:
    """The graph a case is stored in: its id spelt as in its case IRI, under CASE_GRAPH_BASE."""
    return CASE_GRAPH_BASE + case_id_segment(case_id)


def store_state(path: str | Path) -> tuple[str, str]:
    """What the directory holds, judged by its file names only (nothing is opened or written):
    ("missing" | "file" | "empty" | "store" | "damaged" | "other", what is wrong when damaged).
    A store has CURRENT, naming a MANIFEST-* file that exists, and an OPTIONS-* file."""
    path = Path(path)
    if not path.exists():
        return "missing", ""
    if not path.is_dir():
        return "file", ""
    for _ in range(3):  # a writer rolling its manifest renames CURRENT, then deletes the old one
        names = {p.name for p in path.iterdir()}
        if not names:
            return "empty", ""
        if not any(_ROCKSDB_FILE.fullmatch(n) for n in names):
            return "other", ""
        if "CURRENT" not in names:
            return "damaged", "its CURRENT file is missing"
        if not any(n.startswith("OPTIONS-") for n in names):
            return "damaged", "it has no OPTIONS-* file"
        try:
            manifest = (path / "CURRENT").read_text(encoding="ascii", errors="replace").strip()
        except OSError as exc:
            return "damaged", f"its CURRENT file cannot be read ({exc.strerror})"
        if not re.fullmatch(r"MANIFEST-\d+", manifest):
            return "damaged", f"its CURRENT file does not name a MANIFEST-* file ({manifest[:40]!r})"
        if (path / manifest).is_file():
            return "store", ""
        detail = f"its CURRENT file names {manifest}, which is missing"
        time.sleep(0.05)
    return "damaged", detail


def check_store(path: str | Path, create: bool = False) -> str:
    """Raise StoreUnusable unless `path` is a store (or, with create, a new or empty directory
    where `dorsum load` may make one); return its state. Reads directory names only."""
    state, detail = store_state(path)
    if state == "store" or (create and state in ("missing", "empty")):
        return state
    if state == "missing":
        raise StoreUnusable(f"no store at {path}: expected a directory made by `dorsum load ... --store {path}`")
    if state == "file":
        raise StoreUnusable(f"{path} is a file: expected a store directory made by `dorsum load`")
    if state == "damaged":
        raise StoreUnusable(f"the store at {path} is damaged: {detail} (a store has {STORE_FILES}); {ADVICE}")
    if create:
        raise StoreUnusable(f"{path} is neither empty nor a dorsum store (it has no {STORE_FILES}): `dorsum load` "
                            "creates a store only in a new or empty directory; choose another --store")
    raise StoreUnusable(f"{path} is {'an empty directory' if state == 'empty' else 'not a dorsum store'}: "
                        f"expected the {STORE_FILES} of a store made by `dorsum load`; nothing was changed")


def open_store(path: str | Path, read_only: bool = False, create: bool = False) -> ox.Store:
    """Open the store at `path`. Never makes a store out of a directory that is not one, and never
    writes to a store that does not open cleanly read-only first (RocksDB opening a store writable
    without its CURRENT file would start an empty store and delete the data files):
    - read_only: a read-only view (it replays a killed writer's log in memory, writing nothing);
    - writable: the store must exist and open read-only first, then it is opened for writing;
    - create (only `dorsum load`): a new or empty directory becomes a new store.
    StoreUnusable (exit 2) when the directory is no usable store; StoreError when it is locked or
    cannot be written."""
    path = Path(path)
    state = check_store(path, create=create)
    if state == "store":
        view = _open_read_only(path)
        if read_only:
            return view
        del view
    try:
        if state == "missing":  # a new store in a new directory (RocksDB makes only the last level)
            path.mkdir(parents=True, exist_ok=True)
        return ox.Store(str(path))
    except (OSError, RuntimeError) as exc:
        text = _one_line(exc)
        if "lock" in text.lower():
            raise StoreBusy(f"the store at {path} is locked: another dorsum process (load or serve) is using it. "
                             "Wait for it to finish or stop it, then retry.") from exc
        if "read-only" in text.lower() or "permission" in text.lower():
            raise StoreError(f"cannot write the store at {path}: {text}. Check the directory's permissions "
                             "and free space; stored cases are unchanged.") from exc
        raise StoreError(f"cannot open the store at {path} for writing: {text}. If it is damaged, restore a "
                         "backup or load the cases again into a new directory.") from exc


def _open_read_only(path: Path, attempts: int = 3) -> ox.Store:
    """A read-only view; a file a concurrent load's compaction removed meanwhile is retried."""
    for attempt in range(attempts):
        try:
            return ox.Store.read_only(str(path))
        except FileNotFoundError as exc:
            if attempt == attempts - 1:
                raise StoreUnusable(f"the store at {path} is damaged: a file is missing ({_one_line(exc)}), or a "
                                    f"`dorsum load` kept compacting it; {ADVICE}") from exc
            time.sleep(0.05)
        except PermissionError as exc:
            raise StoreUnusable(f"cannot read the store at {path}: {_one_line(exc)}; check its permissions") from exc
        except (OSError, RuntimeError, ValueError) as exc:
            raise StoreUnusable(f"the store at {path} is damaged: it does not open ({_one_line(exc)}); "
                                f"{ADVICE}") from exc
    raise AssertionError("unreachable")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _nt_lines(g: Graph) -> str:
    return g.serialize(format="nt", encoding="utf-8").decode("utf-8")


def store_kb(store: ox.Store, kb) -> None:
    """Load the knowledge base once into its own graph, with its version and hash and every rule's
    one prov:Association, which the case graphs' rule firings name (replacing any older one)."""
    from ..results.stored import rule_associations
    from ..terms import rdflib_triples

    g = Graph()
    g += kb.graph
    g += rdflib_triples(rule_associations(kb))
    g.add((KB_INFO, DORSUM.knowledgeBaseVersion, Literal(kb.version)))
    g.add((KB_INFO, DORSUM.knowledgeBaseSha256, Literal(kb.sha256)))
    update = f"DROP SILENT GRAPH <{KB_GRAPH}> ;\nINSERT DATA {{ GRAPH <{KB_GRAPH}> {{\n{_nt_lines(g)}}} }}"
    _update(store, update)


def stored_kb_sha(store: ox.Store) -> str | None:
    q = f"SELECT ?sha WHERE {{ GRAPH <{KB_GRAPH}> {{ <{KB_INFO}> <{DORSUM.knowledgeBaseSha256}> ?sha }} }}"
    try:
        for row in store.query(q):
            return row["sha"].value
    except RuntimeError as exc:
        raise damaged(exc) from exc
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
    # one graph per id: of two cases with one id in a chunk the first is written, as intake decides
    # (case.ids; the later one is an error on that case). Re-loading an id in a later load replaces it.
    cases = first_of_each_id((c if isinstance(c, StoredCase) else stored_case(c) for c in cases), set())
    try:
        stored = [c for c in cases if store.contains_named_graph(ox.NamedNode(case_graph_iri(c.case_id)))]
    except RuntimeError as exc:
        raise damaged(exc) from exc
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
        # parser's IRI validation would only repeat that
        store.bulk_load(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS, lenient=True)
    except RuntimeError as exc:
        raise damaged(exc) from exc
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
    except RuntimeError as exc:
        raise damaged(exc) from exc
    except OSError as exc:
        raise StoreError(f"writing to the store failed: {exc}. Stored cases are unchanged (the write was "
                         "one transaction); free space or fix permissions and re-run the load.") from exc


def damaged(exc: BaseException) -> StoreError:
    """The error for a store that failed while being read or written with RocksDB's "Corruption: ..."
    (a damaged data file, which opening the store does not read): StoreUnusable, or a StoreError
    for any other storage failure."""
    text = _one_line(exc)
    if "corrupt" in text.lower():
        return StoreUnusable(f"the store is damaged: {text}; {ADVICE}")
    return StoreError(f"the store failed: {text}")
