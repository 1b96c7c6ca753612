"""What runs inside a Spark executor's Python worker: the knowledge base the job shipped written to a
local directory once, one Classifier built from it per worker process (kept in a module-level
cache keyed by the knowledge base's SHA-256, so every task that worker runs reuses it), and the
rows of a partition classified in chunks, one result row per case.

A case never fails the task: intake's problems are the case's errors (status invalid, as
`dorsum classify` gives), and a case that makes the classifier raise is a row with status "error"
and the exception's message. Nothing here imports pyspark: it is plain Python on rows.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Iterable, Iterator

from .columns import row_values

_CLASSIFIERS: dict[str, object] = {}
_LOCK = threading.Lock()


def kb_bundle(kb) -> dict:
    """The knowledge base as data a job ships to its executors (never fetched there): every file's
    bytes by its path relative to the knowledge base's root, with its version and SHA-256."""
    from ..kb.paths import kb_files

    root = kb.paths.root
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in kb_files(root)}
    return {"sha256": kb.sha256, "version": kb.version, "files": files}


def classifier_for(bundle: dict):
    """This worker's Classifier for the shipped knowledge base, built on first use: its files are
    written to a temporary directory (removed when the worker exits) and loaded from there; the
    knowledge base's hash must equal the driver's."""
    key = bundle["sha256"]
    with _LOCK:
        clf = _CLASSIFIERS.get(key)
        if clf is None:
            from ..pipeline import Classifier

            root = Path(tempfile.mkdtemp(prefix=f"dorsum-kb-{key[:12]}-"))
            atexit.register(shutil.rmtree, root, True)
            for rel, data in bundle["files"].items():
                path = root / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            clf = Classifier(kb_root=root)
            if clf.kb.sha256 != key:
                raise RuntimeError(f"the shipped knowledge base has sha256 {clf.kb.sha256}, not the driver's {key}")
            _CLASSIFIERS[key] = clf
    return clf


def case_inputs(clf, position: int, source: str, line: int, text) -> list:
    """The case of one row (a JSON Lines line, or a string column's value): what `dorsum classify`
    reads from such a line, errors included (malformed JSON, not an object, too long)."""
    from ..case.intake import MAX_CASE_BYTES, CaseInput, Record, error, record_cases

    if text is None:
        return [CaseInput(source, source, errors=[error("", None, f"row {position} holds no case (null)")])]
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    if len(data) > MAX_CASE_BYTES:
        record = Record(source, "", error=error("", None, f"line {line} is longer than {MAX_CASE_BYTES} bytes; "
                                                          "a case is about 1 kB"))
    else:
        record = Record(source, "", text=data, line=line)
    try:
        return list(record_cases(record, clf.ctx))
    except Exception as exc:  # intake should never raise; if it does, the row still gets its result
        return [CaseInput(source, source, errors=[error("", None, f"the case could not be read: {type(exc).__name__}: {exc}")])]


def error_json(clf, case_id: str, exc: BaseException) -> dict:
    """The JSON result of a case the classifier raised on: the invalid envelope, status "error"."""
    from ..case.intake import error

    message = f"the classifier failed on this case: {type(exc).__name__}: {exc}"
    out = clf.view.invalid(case_id, [error("", None, message)])
    out["status"] = "error"
    return out


def _results(clf, inputs: list) -> list:
    """Each input's CaseResult, or the exception classifying it alone raised: the chunk at once,
    else (when the chunk raises) case by case, so one bad case costs only its own row."""
    try:
        return clf.classify_many(inputs)
    except Exception:
        out = []
        for ci in inputs:
            try:
                out.append(clf.classify_many([ci])[0])
            except Exception as exc:
                out.append(exc)
        return out


def _row(clf, position: int, source: str, ci, result, nquads: bool) -> tuple:
    from ..repro.canonical import canonical_nquads
    from ..repro.run_manifest import sha256_text
    from ..results.view import dumps

    nq = None
    if not isinstance(result, BaseException) and nquads:
        try:
            nq = canonical_nquads(result.graph)
        except Exception as exc:
            result = exc
    data = error_json(clf, ci.case_id, result) if isinstance(result, BaseException) else result.json
    text = dumps(data, pretty=False)
    kb = clf.kb
    return row_values(position, source, data, kb.result_kinds, kb.version, kb.sha256, sha256_text(text), text, nq)


def classify_chunk(clf, rows: list, nquads: bool = True) -> list[tuple]:
    """Result rows for a chunk of (position, source, line, text) rows, in their order."""
    tagged = [(pos, src, ci) for pos, src, line, text in rows for ci in case_inputs(clf, pos, src, line, text)]
    results = _results(clf, [ci for _, _, ci in tagged])
    return [_row(clf, pos, src, ci, r, nquads) for (pos, src, ci), r in zip(tagged, results)]


def classify_rows(rows: Iterable[tuple], bundle: dict, chunk: int = 200, nquads: bool = True) -> Iterator[tuple]:
    """A partition's result rows, classified `chunk` rows at a time; the classifier is built only
    when the partition has a row."""
    pending: list = []
    clf = None
    for row in rows:
        pending.append(row)
        if len(pending) >= chunk:
            clf = clf or classifier_for(bundle)
            yield from classify_chunk(clf, pending, nquads)
            pending = []
    if pending:
        clf = clf or classifier_for(bundle)
        yield from classify_chunk(clf, pending, nquads)

