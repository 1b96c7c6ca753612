"""Store faults: a second writer, a failing disk, a corrupted store. Nothing stored is lost."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conftest import ROOT
from reasoner.cli import main
from reasoner.store.case_store import StoreError, open_store


def load(src, store, *extra):
    return CliRunner().invoke(main, ["load", str(src), "--store", str(store), *extra])


@pytest.fixture
def small(tmp_path):
    src = tmp_path / "cases.jsonl"
    cases = [dict(json.loads((ROOT / "examples" / "growing-lump-adult.json").read_text()), id=f"c{i}") for i in range(6)]
    src.write_text("\n".join(json.dumps(c) for c in cases) + "\n")
    return src


def count_cases(store_dir) -> int:
    s = open_store(store_dir, read_only=True)
    n = sum(1 for g in s.named_graphs() if g.value.startswith("https://w3id.org/dorsum/graph/case/"))
    del s
    return n


def test_second_writer_gets_store_is_locked(small, tmp_path):
    store = tmp_path / "store"
    assert load(small, store).exit_code == 0
    holder = open_store(store)  # e.g. a running `dorsum serve`
    try:
        res = load(small, store)
        assert res.exit_code == 3  # errors.EXIT_BUSY: a script can tell "retry later" from a failure
        assert "is locked" in res.output and "another dorsum process" in res.output
    finally:
        del holder
    assert count_cases(store) == 6


def test_failing_disk_stops_the_load_and_keeps_stored_cases(small, tmp_path, monkeypatch):
    store = tmp_path / "store"
    assert load(small, store).exit_code == 0
    import reasoner.store.case_store as st

    calls = {"n": 0}

    class FailingStore:
        """Wraps the real store; its second chunk write fails as a full disk would, whichever way
        the chunk is written (a transaction, or the bulk loader for new cases)."""
        def __init__(self, inner):
            self.inner = inner

        def _write(self, method, *args, **kwargs):
            calls["n"] += 1
            if calls["n"] >= 2:  # the KB is already stored (same hash): chunk 1 commits, chunk 2 fails
                raise OSError(28, "No space left on device")
            return getattr(self.inner, method)(*args, **kwargs)

        def update(self, *args, **kwargs):
            return self._write("update", *args, **kwargs)

        def bulk_load(self, *args, **kwargs):
            return self._write("bulk_load", *args, **kwargs)

        def __getattr__(self, name):
            return getattr(self.inner, name)

    real_open = st.open_store
    monkeypatch.setattr("reasoner.store.bulk_load.open_store", lambda *a, **k: FailingStore(real_open(*a, **k)))
    extra = tmp_path / "more.jsonl"
    extra.write_text("\n".join(json.dumps(dict(json.loads(l), id="new-" + json.loads(l)["id"]))
                               for l in small.read_text().splitlines()) + "\n")
    res = load(extra, store, "--chunk", "2")
    monkeypatch.undo()
    assert res.exit_code == 1
    assert "No space left on device" in res.output and "unchanged" in res.output
    assert count_cases(store) == 6 + 2  # the old cases and the one committed chunk, nothing half-written


def test_corrupted_store_is_detected_with_advice(small, tmp_path):
    store = tmp_path / "store"
    assert load(small, store).exit_code == 0
    (store / "CURRENT").write_text("MANIFEST-999999\n")
    with pytest.raises(StoreError) as err:
        open_store(store)
    assert "restore a backup, or load the cases again" in str(err.value)
    res = load(small, store)  # an unusable --store: exit 2 (it was 1 before stores were told from other directories)
    assert res.exit_code == 2 and f"the store at {store} is damaged" in res.output and "MANIFEST-999999" in res.output


def test_query_reopens_a_view_whose_files_a_load_compacted_away(small, tmp_path):
    """`dorsum query` while a load writes: a read-only view can find a file the writer's compaction
    removed. The query is run again on a fresh view; if files keep changing, the error says why."""
    from reasoner.query.limits import query_read_only as _query_read_only
    from reasoner.store.case_store import StoreError, open_store

    store = tmp_path / "store"
    assert load(small, store).exit_code == 0
    calls = []

    def flaky(s, text, fmt):
        calls.append(s)
        if len(calls) == 1:
            raise FileNotFoundError("IO error: No such file or directory: While open a file for random read: 000137.sst")
        return str(sum(1 for _ in s.query(text)))

    q = "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    assert _query_read_only(store, q, "json", open_store, flaky) == "7"  # 6 cases and the KB graph
    assert len(calls) == 2 and calls[0] is not calls[1]

    def gone(s, text, fmt):
        raise FileNotFoundError("IO error: No such file or directory")

    with pytest.raises(StoreError, match="a `dorsum load` is writing it"):
        _query_read_only(store, q, "json", open_store, gone)
