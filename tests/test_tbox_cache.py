"""The on-disk cache of the knowledge base's OWL RL closure: same files, same closure; a changed
file, a new key; a damaged cache file, recomputed."""

from __future__ import annotations

from reasoner.kb import load_kb
from reasoner.tbox_cache import cached_closure, closure_key


def test_cache_returns_the_computed_closure_and_changes_key_with_a_file(kb_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("DORSUM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("DORSUM_NO_CACHE", raising=False)
    kb = load_kb(kb_copy)
    calls = []

    def compute():
        calls.append(1)
        g = kb.graph.__class__()
        g += kb.ontology
        return g

    first = cached_closure(kb, compute)
    second = cached_closure(kb, compute)
    assert len(calls) == 1 and len(first) == len(second) > 1000
    assert {t for t in first if not any(type(x).__name__ == "BNode" for x in t)} == \
           {t for t in second if not any(type(x).__name__ == "BNode" for x in t)}
    key = closure_key(kb)
    with open(kb_copy / "ontology" / "thresholds.ttl", "a") as fh:
        fh.write("\n# a comment changes the bytes\n")
    assert closure_key(load_kb(kb_copy)) != key
    (tmp_path / "cache" / f"tbox-{key}.nt").write_text("this is not N-Triples <")
    cached_closure(kb, compute)
    assert len(calls) == 2
