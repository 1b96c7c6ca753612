"""The on-disk cache of the knowledge base's OWL RL closure: same files, same closure; a changed
file, a new key; a damaged cache file, recomputed."""

from __future__ import annotations

from reasoner.kb.knowledge_base import load_kb
from reasoner.runtime.cache import cached_closure, closure_key


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


def test_query_analysis_is_cached_by_query_text(tmp_path, monkeypatch):
    """The engine's analysis of a query (what it reads, whether it is linear, what it cannot match
    without) is cached on disk by the query's text: the cached answer equals a fresh one, an edited
    query is analysed anew, and a damaged cache file is recomputed."""
    from reasoner.engine.query_analysis import is_linear, query_analysis, required_alternatives, store_reads

    monkeypatch.setenv("DORSUM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("DORSUM_NO_CACHE", raising=False)
    static = frozenset({"https://w3id.org/dorsum/graph/kb"})
    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    linear = "CONSTRUCT { ?x a <urn:C> } WHERE { ?x <urn:p> ?y }"
    joined = "CONSTRUCT { ?x a <urn:C> } WHERE { ?x <urn:p> ?y . OPTIONAL { ?x a <urn:D> } }"
    assert query_analysis(linear, static)[:3] == (frozenset({"urn:p"}), True, [frozenset({"urn:p"})])
    assert query_analysis(linear, static)[3].batchable  # and the batch-isolation verdict (engine/batch_isolation)
    files = list((tmp_path / "cache").glob("query-*.json"))
    assert len(files) == 1
    assert query_analysis(linear, static)[:3] == (store_reads(linear, static), is_linear(linear, static),
                                                  required_alternatives(linear, static))
    # an optional pattern is read but not required; two patterns are not linear
    assert query_analysis(joined, static)[:3] == (frozenset({"urn:p", (rdf_type, "urn:D")}), False, [frozenset({"urn:p"})])
    files[0].write_text("{ not json")
    assert query_analysis(linear, static)[:3] == (frozenset({"urn:p"}), True, [frozenset({"urn:p"})])
