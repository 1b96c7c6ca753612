"""Every bullet of the article has a guideline statement (the list is kept in tests/data)."""

from __future__ import annotations

import csv

from rdflib import URIRef
from rdflib.namespace import RDF

from conftest import ROOT
from reasoner.namespaces import DORSUM

ARTICLE = ROOT.parent / "shared" / "sources" / "article-lump-on-the-back.txt"
BULLETS = ROOT / "tests" / "data" / "article-bullets.tsv"
STATEMENT_TYPES = {DORSUM.RecommendationStatement, DORSUM.InformationalStatement, DORSUM.PitfallStatement}


def rows():
    with open(BULLETS, encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def article_bullets():
    text = ARTICLE.read_text(encoding="utf-8") if ARTICLE.exists() else None
    if text is None:
        return None
    return [line.strip()[1:].strip() for line in text.splitlines() if line.strip().startswith("•")]


def test_every_article_bullet_is_listed():
    bullets = article_bullets()
    listed = [r["article_text"] for r in rows()]
    if bullets is None:  # the article lives beside the repository; the list alone still counts
        assert len(listed) >= 43
        return
    assert len(bullets) == 43
    for b in bullets:
        assert any(b.startswith(t.strip()) for t in listed), f"no statement listed for bullet: {b[:60]}"


def test_every_listed_statement_exists_with_text_and_reference(kb):
    g = kb.graph
    for r in rows():
        s = URIRef(r["statement"])
        assert set(g.objects(s, RDF.type)) & STATEMENT_TYPES, r["statement"]
        assert g.value(s, DORSUM.statementText), r["statement"]
        assert list(g.objects(s, URIRef("http://purl.org/dc/terms/source"))), r["statement"]


def test_every_article_statement_is_listed(kb):
    g = kb.graph
    listed = {r["statement"] for r in rows()}
    article_statements = {str(s) for t in STATEMENT_TYPES for s in g.subjects(RDF.type, t)
                          if g.value(s, DORSUM.notInArticle) is None}
    assert article_statements <= listed, sorted(article_statements - listed)
