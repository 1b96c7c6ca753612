"""`dorsum docs`: the generated documentation covers the whole knowledge base, is offline and is
byte-for-byte reproducible."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys

import pytest
from markupsafe import escape as markup_escape
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from conftest import ROOT
from reasoner import DISCLAIMER
from reasoner.namespaces import DORSUM

DORSUM_NS = str(DORSUM)


@pytest.fixture(scope="module")
def docs(tmp_path_factory, kb):
    """Generate once, with every socket refused: generation must not try the network."""
    from reasoner.docs.site import generate

    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network disabled in test_docs")

    saved = socket.socket.connect, socket.create_connection, socket.getaddrinfo
    socket.socket.connect, socket.create_connection, socket.getaddrinfo = refuse, refuse, refuse
    try:
        out = tmp_path_factory.mktemp("docs")
        result = generate(out, kb)
    finally:
        socket.socket.connect, socket.create_connection, socket.getaddrinfo = saved
    assert attempts == [], f"documentation generation tried the network: {attempts}"
    return out, result


def esc(text) -> str:
    """text escaped for HTML as the pages escape it (Jinja2's autoescaping: markupsafe, which writes
    a double quote as &#34;)."""
    return str(markup_escape(text))


def read(out, name):
    return (out / name).read_text(encoding="utf-8")


def statements(g):
    q = f"""PREFIX rdfs: <{RDFS}> PREFIX dorsum: <{DORSUM_NS}>
    SELECT DISTINCT ?s WHERE {{ ?s a/rdfs:subClassOf* dorsum:GuidelineStatement }}"""
    return sorted(row[0] for row in g.query(q))


def section(text, start_id):
    """The HTML of the <section> whose id is start_id."""
    m = re.search(rf'<section [^>]*id="{re.escape(start_id)}">(.*?)</section>', text, re.S)
    assert m, f"no section {start_id}"
    return m.group(1)


def test_catalogue_has_every_rule_with_its_statements_and_sparql(docs, kb):
    out, _ = docs
    text, md = read(out, "rules.html"), read(out, "rules.md")
    g = kb.graph
    assert len(kb.rules) > 0
    for rule in kb.rules:
        slug = rule.iri.rsplit("/", 1)[-1]
        sec = section(text, f"rule-{slug}")
        assert f"<code>{rule.iri}</code>" in sec
        assert esc(rule.title) in sec
        assert f"<pre><code>{esc(rule.text)}</code></pre>" in sec, f"{slug}: SPARQL missing or not escaped"
        assert f"<tr><th>status</th><td>{rule.status}</td></tr>" in sec
        assert f"<tr><th>stratum</th><td>{rule.stratum}</td></tr>" in sec
        assert rule.implements, f"{slug} implements nothing"
        for stmt in rule.implements:
            s = URIRef(stmt)
            local = stmt.rsplit("/", 1)[-1]
            assert f'href="#{local}"' in sec
            assert esc(str(g.value(s, DORSUM.statementText))) in sec
            for ref in g.objects(s, DCTERMS.source):
                assert f'href="#{ref.rsplit("/", 1)[-1]}"' in sec, f"{slug}: {local} lost reference {ref}"
        assert f"- IRI: `{rule.iri}`" in md and rule.text.rstrip("\n") in md


def test_catalogue_has_every_statement_with_references_and_rules(docs, kb):
    out, _ = docs
    text, md = read(out, "rules.html"), read(out, "rules.md")
    g = kb.graph
    stmts = statements(g)
    informational = set(g.subjects(RDF.type, DORSUM.InformationalStatement))
    assert informational and informational <= set(stmts)
    for s in stmts:
        local = s.rsplit("/", 1)[-1]
        sec = section(text, local)
        assert esc(str(g.value(s, DORSUM.statementText))) in sec
        for p in (DCTERMS.source, DORSUM.confirmedBy, DORSUM.refinedBy, DORSUM.conflictsWith):
            for ref in g.objects(s, p):
                cite = g.value(ref, DCTERMS.bibliographicCitation) or g.value(ref, RDFS.label)
                assert esc(str(cite)) in sec, f"{local}: reference {ref} missing"
        for loc in g.objects(s, DORSUM.primarySourceLocator):
            assert esc(str(loc)) in sec
        rules = sorted(r.iri.rsplit("/", 1)[-1] for r in kb.rules if str(s) in r.implements)
        for r in rules:
            assert f'href="#rule-{r}"' in sec
        if not rules:
            assert "<tr><th>implemented by</th><td>no rule</td></tr>" in sec
        assert f"- IRI: `{s}`" in md
    for t in g.subjects(RDF.type, DORSUM.Threshold):
        row = re.search(rf'<tr id="{re.escape(t.rsplit("/", 1)[-1])}">(.*?)</tr>', text, re.S)
        assert row and str(g.value(t, DORSUM.thresholdValue)) in row.group(1)


NODE = re.compile(r'^\t+"?([^"\s]+)"? \[(.*)\]$')
EDGE = re.compile(r'^\t+"?([^"\s]+)"? -> "?([^"\s]+)"?(?: \[.*\])?$')


def parse_dot(text):
    nodes, edges = {}, []
    for line in text.splitlines():
        if m := EDGE.match(line):
            edges.append((m.group(1), m.group(2)))
        elif m := NODE.match(line):
            attrs = dict(re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', m.group(2)))
            nodes[m.group(1)] = {k: v.strip('"') for k, v in attrs.items()}
    return nodes, edges


def test_pathway_links_every_active_rule_to_its_outcomes(docs, kb):
    out, result = docs
    nodes, edges = parse_dot(read(out, "pathway.dot"))
    kinds = {n: a.get("class") for n, a in nodes.items()}
    rule_nodes = {a["URL"].split("#rule-", 1)[1]: n for n, a in nodes.items() if a.get("class") == "rule"}
    active = [r for r in kb.rules if r.status == "active"]
    assert sorted(rule_nodes) == sorted(r.iri.rsplit("/", 1)[-1] for r in active)
    for rule in active:
        slug = rule.iri.rsplit("/", 1)[-1]
        template, where = re.split(r"\bWHERE\b", rule.text.split("CONSTRUCT", 1)[1], maxsplit=1)
        outcomes = [d for s, d in edges if s == rule_nodes[slug] and kinds.get(d) == "outcome"]
        assert outcomes, f"{slug}: no outcome edge"
        for o in outcomes:   # every outcome drawn is a term of the rule's CONSTRUCT template
            assert f"dorsum:{o.rsplit('/', 1)[-1]}" in template, f"{slug} -> {o} is not in its template"
        for s, d in edges:   # every finding drawn into the rule is read by its WHERE clause
            if d == rule_nodes[slug] and kinds.get(s) == "finding":
                assert re.search(rf"dorsum:{re.escape(s.rsplit('/', 1)[-1])}\b", where), f"{s} -> {slug}"
    assert any(kinds.get(s) == "finding" for s, _ in edges)
    assert any(kinds.get(s) == "outcome" and kinds.get(d) == "rule" for s, d in edges), "no rule chains"
    if shutil.which("dot"):
        svg = read(out, "pathway.svg")
        assert result.svg and svg.lstrip().startswith("<?xml") and all(f"rules.html#rule-{s}" in svg for s in rule_nodes)
    else:
        assert not result.svg and not (out / "pathway.svg").exists()


def test_ontology_reference_documents_every_class(docs, kb):
    out, _ = docs
    text = read(out, "ontology.html")
    classes = sorted(c for c in kb.ontology.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef))
    assert len(classes) > 10
    missing = [str(c) for c in classes if f"<code>{c}</code>" not in text]
    assert not missing, missing
    for p in kb.ontology.subjects(RDF.type, OWL.ObjectProperty):
        assert f"<code>{p}</code>" in text


def test_ontology_reference_is_titled_by_the_ontology(docs, kb):
    """pyLODE titles the page after the last header it meets; it is given the ontology's only."""
    out, _ = docs
    text = read(out, "ontology.html")
    (onto,) = kb.ontology.subjects(RDF.type, OWL.Ontology)
    title = kb.ontology.value(onto, DCTERMS.title)
    assert f"<title>{esc(title)}</title>" in text
    metadata = re.search(r'<div class="section" id="metadata">(.*?)</dl>', text, re.S).group(1)
    assert f"<h1>{esc(title)}</h1>" in metadata and f"<code>{onto}</code>" in metadata


def test_pylode_gets_exactly_one_ontology_header(kb):
    from types import SimpleNamespace

    from reasoner.docs.ontology import HEADER_TYPES, pylode_graph

    def headers(g):
        return sorted({s for t in HEADER_TYPES for s in g.subjects(RDF.type, t)})

    (onto,) = kb.ontology.subjects(RDF.type, OWL.Ontology)
    assert len(headers(kb.ontology)) > 1       # the concept schemes are headers to pyLODE too
    g = pylode_graph(kb)
    assert headers(g) == [onto] and (onto, RDF.type, OWL.Ontology) in g
    other = URIRef("https://example.org/another-ontology")
    two = Graph() + kb.ontology
    two.add((other, RDF.type, OWL.Ontology))
    assert headers(pylode_graph(SimpleNamespace(ontology=two, version="x"))) == [min(onto, other)]
    none = Graph()
    for t in kb.ontology:
        if t[0] != onto:           # no header at all
            none.add(t)
    g = pylode_graph(SimpleNamespace(ontology=none, version="9.9.9"))
    (header,) = headers(g)
    assert "9.9.9" in str(g.value(header, DCTERMS.title))


def test_index_names_the_knowledge_base_and_links_every_artefact(docs, kb):
    out, _ = docs
    text = read(out, "index.html")
    assert kb.version in text and kb.sha256 in text and esc(DISCLAIMER) in text
    links = re.findall(r'href="([^"#]+)"', text)
    assert {"ontology.html", "rules.html", "rules.md", "pathway.dot"} <= set(links)
    for link in links:
        assert (out / link).is_file(), link


def test_two_generations_are_byte_identical(docs, tmp_path):
    """A second run, in another process with another hash seed (set order differs), through the CLI."""
    out, result = docs
    again = tmp_path / "again"
    env = dict(os.environ, PYTHONHASHSEED="12345", DORSUM_KB=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "reasoner.cli", "docs", "--out", str(again)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stdout
    first = sorted(p.name for p in out.iterdir())
    assert first == sorted(p.name for p in again.iterdir())
    for name in first:
        assert (out / name).read_bytes() == (again / name).read_bytes(), f"{name} differs between runs"
    assert not re.search(r"20\d\d-\d\d-\d\dT\d\d:\d\d", read(out, "index.html") + read(out, "rules.html"))


def test_docs_write_one_diagram_per_pathway_linked_from_the_index(docs, kb):
    """`dorsum docs` writes pathway-<slug>.dot for every care pathway (and .svg with Graphviz),
    the same DOT the server hands the browser, each linked from the index."""
    from reasoner.docs.pathway import pathway_diagrams

    out, result = docs
    index = read(out, "index.html")
    diagrams = pathway_diagrams(kb)
    assert diagrams
    for d in diagrams:
        dot_name, svg_name = f"pathway-{d.slug}.dot", f"pathway-{d.slug}.svg"
        assert read(out, dot_name) == d.dot and dot_name in result.files
        assert f'href="{dot_name}"' in index and esc(d.label) in index
        if result.svg:
            assert read(out, svg_name).lstrip().startswith("<?xml") and f'href="{svg_name}"' in index
        else:
            assert not (out / svg_name).exists()
    assert sorted(p.name for p in out.glob("pathway-*.dot")) == sorted(f"pathway-{d.slug}.dot" for d in diagrams)
