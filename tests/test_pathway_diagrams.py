"""The pathway view (issue 17): one diagram per care pathway the ontology declares, generated from
the rules, small enough to read, with stable SVG ids a page can highlight a case's path by."""

from __future__ import annotations

import html
import re
import shutil

import pytest
from rdflib import URIRef
from rdflib.namespace import RDF, SKOS

from reasoner.namespaces import DORSUM

ID = re.compile(r'\bid="([^"]*)"')
CLASS = re.compile(r'\bclass="?([\w-]+)"?')
NODE = re.compile(r'^\t"([^"]+)" \[(.*)\]$')
EDGE = re.compile(r'^\t"([^"]+)" -> "([^"]+)" \[(.*)\]$')


@pytest.fixture(scope="module")
def diagrams(kb):
    from reasoner.docs.pathway import pathway_diagrams

    return pathway_diagrams(kb)


def parse(dot: str):
    """(nodes: name -> (id, class), edges: [(src, dst, id, class)]) of a per-pathway DOT text."""
    nodes, edges = {}, []
    for line in dot.splitlines():
        if m := EDGE.match(line):
            edges.append((m.group(1), m.group(2), ID.search(m.group(3)).group(1), CLASS.search(m.group(3)).group(1)))
        elif m := NODE.match(line):
            nodes[m.group(1)] = (ID.search(m.group(2)).group(1), CLASS.search(m.group(2)).group(1))
    return nodes, edges


def slug_of(rule) -> str:
    return rule.iri.rsplit("/", 1)[-1]


def declared(g) -> list[str]:
    return sorted(str(g.value(p, SKOS.notation)) for p in g.subjects(RDF.type, DORSUM.CarePathway))


def test_one_diagram_per_declared_pathway(diagrams, kb):
    from reasoner.docs.pathway import PathwayDiagram

    assert [d.slug for d in diagrams] == declared(kb.graph) and len(diagrams) >= 2
    for d in diagrams:
        assert isinstance(d, PathwayDiagram) and d.label and d.rules == tuple(sorted(d.rules))
        nodes, edges = parse(d.dot)
        assert (d.nodes, d.edges) == (len(nodes), len(edges)), d.slug
        assert d.dot.startswith(f'digraph "pathway-{d.slug}"')


def test_every_rule_is_drawn_in_its_own_pathway_and_no_other(diagrams, kb):
    by_slug = {d.slug: d for d in diagrams}
    notation = {str(p): str(kb.graph.value(p, SKOS.notation)) for p in kb.graph.subjects(RDF.type, DORSUM.CarePathway)}
    active = [r for r in kb.rules if r.status == "active"]
    assert any(r.pathway is None for r in active), "the knowledge base has a shared rule"
    for rule in active:
        slug = slug_of(rule)
        home = [d.slug for d in diagrams if slug in d.rules]
        if rule.pathway is None:
            assert home, f"shared rule {slug} is drawn nowhere"
        else:
            assert home == [notation[rule.pathway]], f"{slug}: drawn in {home}"
        for s in home:
            ids = {i for i, _ in parse(by_slug[s].dot)[0].values()}
            assert f"rule-{slug}" in ids


def test_diagrams_are_small(diagrams, kb):
    """Each diagram is a small part of the whole: a bounded number of nodes a rule, at most 40 for
    a pathway of a dozen rules, and far below the whole-knowledge-base diagram."""
    from reasoner.docs.pathway import pathway

    whole = len(pathway(kb).nodes)
    for d in diagrams:
        assert d.nodes <= max(40, 4 * len(d.rules)), (d.slug, d.nodes, len(d.rules))
        assert d.nodes < whole / 2, (d.slug, d.nodes, whole)


def test_ids_follow_the_convention_and_are_unique(diagrams, kb):
    g = kb.graph
    rule_slugs = {slug_of(r) for r in kb.rules}
    paths = {str(o) for o in g.objects(None, DORSUM.jsonPath)}
    slugs = {str(o) for o in g.objects(None, SKOS.notation)} | {str(s).rsplit("/", 1)[-1] for s in g.subjects()}
    for d in diagrams:
        nodes, edges = parse(d.dot)
        ids = [i for i, _ in nodes.values()]
        assert len(ids) == len(set(ids)), d.slug
        for name, (nid, cls) in nodes.items():
            if nid.startswith("pathway-"):   # a care pathway entered: its slug, as the results list it
                assert cls == "outcome" and nid[len("pathway-"):] in declared(g), nid
                continue
            assert nid == name and nid.startswith(cls + "-"), (d.slug, nid, cls)
            rest = nid[len(cls) + 1:]
            if cls == "rule":
                assert rest in rule_slugs
            elif cls == "finding":
                assert rest in paths or rest in slugs, nid
            elif cls == "outcome":
                assert rest in slugs, nid
            else:
                assert cls == "threshold" and rest in slugs, nid
        assert any(c == "finding" for _, c in nodes.values()) and any(c == "outcome" for _, c in nodes.values())
        assert f"pathway-{d.slug}" in ids, f"{d.slug}: its entry is not drawn"
        pairs = [(s, t) for s, t, _, _ in edges]
        assert len(pairs) == len(set(pairs)), f"{d.slug}: duplicated edge"
        for s, t, eid, cls in edges:
            assert eid == f"edge-{s}--{t}" and cls == "edge" and s in nodes and t in nodes
        assert len({e[2] for e in edges} | set(ids)) == len(edges) + len(ids)


def test_diagrams_are_self_contained(diagrams):
    """viz.js renders them in the browser: no image, font file or absolute URL."""
    for d in diagrams:
        assert "http://" not in d.dot and "https://" not in d.dot and "image=" not in d.dot
        assert all(u.startswith("rules.html#") for u in re.findall(r'URL="([^"]*)"', d.dot))


def test_user_findings_are_merged_by_json_path(diagrams, kb):
    """A property and the values read from it are one node, named by the property's JSON path."""
    paths = {str(o) for o in kb.graph.objects(None, DORSUM.jsonPath)}
    merged = 0
    for d in diagrams:
        for nid, cls in parse(d.dot)[0].values():
            if cls == "finding" and nid[len("finding-"):] in paths:
                merged += 1
    assert merged >= len(diagrams)


def test_a_new_rule_appears_in_its_pathways_diagram(kb_copy, kb):
    """A rule file added to a copy of the knowledge base is drawn in its pathway's diagram, with
    the finding it reads, with no code change."""
    from reasoner.docs.pathway import pathway_diagrams
    from reasoner.kb.knowledge_base import load_kb

    rule = next(r for r in sorted(kb.rules, key=slug_of) if r.pathway and r.status == "active")
    notation = str(kb.graph.value(URIRef(rule.pathway), SKOS.notation))
    text = rule.path.read_text(encoding="utf-8")
    (kb_copy / "queries" / "rules" / "zz-added-rule.rq").write_text(text, encoding="utf-8")
    diagrams = {d.slug: d for d in pathway_diagrams(load_kb(kb_copy))}
    assert "zz-added-rule" in diagrams[notation].rules
    nodes, edges = parse(diagrams[notation].dot)
    assert "rule-zz-added-rule" in nodes
    assert any(t == "rule-zz-added-rule" for _, t, _, _ in edges)
    assert any(s == "rule-zz-added-rule" for s, _, _, _ in edges)
    assert all("zz-added-rule" not in d.rules for s, d in diagrams.items() if s != notation)


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot (apt-get install graphviz)")
def test_graphviz_lays_every_diagram_out_with_its_ids(diagrams):
    from reasoner.docs.pathway import render_svg

    for d in diagrams:
        svg = render_svg(d.dot).decode("utf-8")
        groups = {html.unescape(i): html.unescape(c) for i, c in re.findall(r'<g id="([^"]+)" class="([^"]+)"', svg)}
        nodes, edges = parse(d.dot)
        for nid, cls in nodes.values():   # Graphviz writes '-' as &#45;, which a browser reads back
            assert groups.get(nid) == f"node {cls}", (d.slug, nid)
        for _, _, eid, _ in edges:
            assert "edge" in groups.get(eid, "").split(), (d.slug, eid)
