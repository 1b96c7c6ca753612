"""Documentation generated from the knowledge base, never handwritten (`dorsum docs`).

Four artefacts, so a reviewer reads what the engine runs rather than a description of it that can
drift: an ontology reference (pyLODE), a rule catalogue (HTML and Markdown: rule -> statements ->
references, with the SPARQL), a pathway diagram (findings -> rules -> outcomes, as DOT and, when
Graphviz's `dot` is installed, SVG) and an index naming the knowledge base's version and SHA-256.

Everything is read from the KB graph and the rule files; no clinical term is written here. Output
is deterministic (sorted, no timestamps) and offline: owl:imports are never followed.
"""

from __future__ import annotations

import html
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from rdflib.paths import Path as PropertyPath

from .. import DISCLAIMER
from ..errors import KnowledgeBaseError
from .hazards import HAZARDS_MD, hazards_markdown
from ..kb.knowledge_base import KnowledgeBase, load_kb
from ..namespaces import DORSUM, RULE_BASE, SPARQL_PREFIXES
from ..kb.rule_files import RuleFile

ONTOLOGY_HTML = "ontology.html"
RULES_HTML = "rules.html"
RULES_MD = "rules.md"
PATHWAY_DOT = "pathway.dot"
PATHWAY_SVG = "pathway.svg"
INDEX_HTML = "index.html"

# Fill colours for outcome categories, handed out in the sorted order of the category IRIs.
PALETTE = ("#fde0dd", "#fee8c8", "#e5f5e0", "#deebf7", "#efedf5", "#fff7bc", "#e0f3f8", "#f0f0f0")


@dataclass
class DocsResult:
    out: Path
    files: list[str]
    svg: bool
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------ KB helpers

def _en_first(values):
    """Literals sorted English first, then by text: one stable pick among several labels."""
    return sorted(values, key=lambda v: (getattr(v, "language", None) not in ("en", None), str(v)))


def label(g: Graph, node) -> str:
    vals = _en_first(g.objects(node, RDFS.label))
    if vals:
        return str(vals[0])
    return local(node)


def local(node) -> str:
    s = str(node)
    return re.split(r"[/#]", s.rstrip("/"))[-1] or s


def first(g: Graph, s, p):
    vals = _en_first(g.objects(s, p))
    return vals[0] if vals else None


def texts(g: Graph, s, p) -> list[str]:
    """Every value of s p, as text (labels for IRIs), sorted."""
    return sorted(label(g, o) if isinstance(o, URIRef) else str(o) for o in g.objects(s, p))


def subclasses(g: Graph, cls) -> set:
    """cls and every class below it (rdfs:subClassOf*)."""
    return set(g.transitive_subjects(RDFS.subClassOf, cls))


def instances(g: Graph, cls) -> list:
    return sorted({s for c in subclasses(g, cls) for s in g.subjects(RDF.type, c) if isinstance(s, URIRef)}, key=str)


def types(g: Graph, node) -> set:
    """The asserted types of node and their superclasses."""
    out = set()
    for t in g.objects(node, RDF.type):
        out |= set(g.transitive_objects(t, RDFS.subClassOf))
    return out


def anchor(node) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", local(node))


def e(text) -> str:
    return html.escape(str(text), quote=True)


# ------------------------------------------------------------------------------ ontology reference

def ontology_html(kb: KnowledgeBase) -> str:
    """The ontology reference, made by pyLODE's OntPub profile from the merged ontology graph.

    pyLODE gets a Graph, so it parses no file and follows no owl:imports. Two of its outputs vary
    between runs (the order of owl:unionOf / owl:intersectionOf operands, which it collects in a
    Python set of HTML elements, and the node order of its schema.org JSON-LD); both are put in a
    fixed order here so two generations are byte-identical. Blank nodes are relabelled canonically
    first, since pyLODE sorts triples and rdflib's blank-node ids are random.
    """
    from rdflib.compare import to_canonical_graph

    OntPub, utils = _import_pylode()
    g = Graph(bind_namespaces="core")
    for prefix, ns in sorted(kb.ontology.namespaces()):
        g.bind(prefix, ns, override=True)
    for t in sorted(to_canonical_graph(kb.ontology)):
        g.add(t)
    original = getattr(utils, "intersperse", None)

    def ordered_intersperse(items, sep):
        if isinstance(items, (set, frozenset)):   # pyLODE < 3.5 passes a set; later ones a list
            items = sorted(items, key=str)
        return original(items, sep)

    if original is not None:
        utils.intersperse = ordered_intersperse
    try:
        doc = OntPub(ontology=g, sort_subjects=True).make_html()
    finally:
        if original is not None:
            utils.intersperse = original
    return _SCHEMA_ORG.sub(_canonical_json_ld, doc)


def _import_pylode():
    """Import pyLODE without its side effect: importing it calls logging.basicConfig(DEBUG)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        import pylode.utils as utils
        from pylode import OntPub
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    return OntPub, utils


_SCHEMA_ORG = re.compile(r'(<script id="schema.org" type="application/ld\+json">)(.*?)(</script>)', re.S)


def _canonical_json_ld(m: re.Match) -> str:
    key = lambda x: json.dumps(x, sort_keys=True)  # noqa: E731

    def norm(x):
        if isinstance(x, list):
            return sorted((norm(i) for i in x), key=key)
        if isinstance(x, dict):
            return {k: norm(v) for k, v in x.items()}
        return x

    data = norm(json.loads(m.group(2)))
    return m.group(1) + "\n" + json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n" + m.group(3)


# ----------------------------------------------------------------------------- the rule catalogue

@dataclass
class RefUse:
    relation: str          # how the reference bears on the statement (label of the property)
    ref: URIRef


@dataclass
class StatementDoc:
    iri: URIRef
    label: str
    kind: str
    text: str
    section: str
    citations: list[str]
    strength: str
    status: str
    verification: str
    locators: list[str]
    note: str
    refs: list[RefUse]
    rules: list[str]       # slugs of the rules implementing it


@dataclass
class RuleDoc:
    rule: RuleFile
    slug: str
    statements: list[URIRef]


@dataclass
class Catalogue:
    rules: list[RuleDoc]
    statements: dict[URIRef, StatementDoc]
    references: list[URIRef]
    thresholds: list[URIRef]


def rule_slug(rule: RuleFile) -> str:
    return rule.iri[len(RULE_BASE):] if rule.iri.startswith(RULE_BASE) else rule.stem


def _source_relations(g: Graph) -> list:
    """dcterms:source plus every sub-property of dorsum:sourceRelation: statement -> reference."""
    subs = set(g.transitive_subjects(RDFS.subPropertyOf, DORSUM.sourceRelation)) - {DORSUM.sourceRelation}
    return [DCTERMS.source] + sorted(subs, key=str)


def catalogue(kb: KnowledgeBase) -> Catalogue:
    g = kb.graph
    relations = _source_relations(g)
    stmts = instances(g, DORSUM.GuidelineStatement)
    implemented: dict = {}
    rules = []
    for rule in kb.rules:
        slug = rule_slug(rule)
        rules.append(RuleDoc(rule, slug, [URIRef(s) for s in rule.implements]))
        for s in rule.implements:
            implemented.setdefault(URIRef(s), []).append(slug)
    docs = {}
    for s in sorted(set(stmts) | set(implemented), key=str):
        refs = [RefUse("source" if p == DCTERMS.source else label(g, p), r)
                for p in relations for r in sorted(g.objects(s, p), key=str)]
        kinds = sorted(label(g, t) for t in g.objects(s, RDF.type) if t != OWL.NamedIndividual)
        docs[s] = StatementDoc(
            iri=s, label=label(g, s), kind=", ".join(kinds) or "(not in the knowledge base)",
            text=str(first(g, s, DORSUM.statementText) or ""),
            section=str(first(g, s, DORSUM.articleSection) or ""),
            citations=texts(g, s, DORSUM.articleCitation),
            strength=", ".join(texts(g, s, DORSUM.strength)),
            status=", ".join(texts(g, s, DORSUM.status)),
            verification=", ".join(texts(g, s, DORSUM.verification)),
            locators=texts(g, s, DORSUM.primarySourceLocator),
            note=str(first(g, s, SKOS.editorialNote) or ""),
            refs=refs, rules=sorted(implemented.get(s, [])))
    references = sorted({u.ref for d in docs.values() for u in d.refs} | set(instances(g, DORSUM.Reference)), key=str)
    return Catalogue(rules, docs, references, instances(g, DORSUM.Threshold))


def _ref_summary(g: Graph, ref) -> str:
    cite = first(g, ref, DCTERMS.bibliographicCitation)
    ver = ", ".join(texts(g, ref, DORSUM.verification))
    return (str(cite) if cite else label(g, ref)) + (f" [{ver}]" if ver else "")


def _threshold_rows(g: Graph, cat: Catalogue) -> list[dict]:
    rows = []
    for t in cat.thresholds:
        rows.append({
            "iri": t, "label": label(g, t), "value": " ".join(texts(g, t, DORSUM.thresholdValue)),
            "unit": " ".join(texts(g, t, DORSUM.unit)),
            "definition": str(first(g, t, SKOS.definition) or ""),
            "sources": [r for r in sorted(g.objects(t, DCTERMS.source), key=str)],
            "verification": ", ".join(texts(g, t, DORSUM.verification)),
            "note": str(first(g, t, SKOS.editorialNote) or ""),
        })
    return rows


_CSS = """body{font-family:system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em;line-height:1.4}
pre{background:#f6f8fa;padding:1em;overflow-x:auto;font-size:90%}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
.disclaimer{border-left:4px solid #c00;padding:.5em 1em;background:#fff5f5}
.rule,.statement{border-top:1px solid #ddd;margin-top:1.5em}.muted{color:#666}"""


def _page(title: str, kb: KnowledgeBase, body: list[str]) -> str:
    head = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{e(title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
        f"<h1>{e(title)}</h1>",
        f'<p class="muted">Generated by <code>dorsum docs</code> from knowledge base version {e(kb.version)}, '
        f"SHA-256 <code>{e(kb.sha256)}</code>. Do not edit: regenerate.</p>",
        f'<p class="disclaimer">{e(DISCLAIMER)}</p>',
    ]
    return "\n".join(head + body + ["</body>", "</html>"]) + "\n"


def _dl(rows: list[tuple[str, str]]) -> str:
    """A two-column table of (name, HTML value); empty values are left out."""
    cells = "".join(f"<tr><th>{e(k)}</th><td>{v}</td></tr>" for k, v in rows if v)
    return f"<table>{cells}</table>"


def catalogue_html(kb: KnowledgeBase, cat: Catalogue) -> str:
    g = kb.graph
    body = ["<h2>Contents</h2>", "<ul>",
            f'<li><a href="#rules">Rules</a> ({len(cat.rules)})</li>',
            f'<li><a href="#statements">Guideline statements</a> ({len(cat.statements)})</li>',
            f'<li><a href="#thresholds">Thresholds</a> ({len(cat.thresholds)})</li>',
            f'<li><a href="#references">References</a> ({len(cat.references)})</li>', "</ul>",
            '<h2 id="rules">Rules</h2>', "<table><tr><th>rule</th><th>title</th><th>status</th><th>stratum</th></tr>"]
    for rd in cat.rules:
        body.append(f'<tr><td><a href="#rule-{e(rd.slug)}">{e(rd.slug)}</a></td><td>{e(rd.rule.title)}</td>'
                    f"<td>{e(rd.rule.status)}</td><td>{rd.rule.stratum}</td></tr>")
    body.append("</table>")
    for rd in cat.rules:
        r = rd.rule
        body += [f'<section class="rule" id="rule-{e(rd.slug)}">', f"<h3>{e(r.title)}</h3>", _dl([
            ("IRI", f"<code>{e(r.iri)}</code>"), ("slug", f"<code>{e(rd.slug)}</code>"),
            ("file", f"<code>{e(r.relpath)}</code>"), ("status", e(r.status)),
            ("version", e(r.header.get("version", ""))), ("stratum", e(r.stratum)),
            ("description", e(r.header.get("description", ""))),
        ]), "<h4>Implements</h4>", "<ul>"]
        for s in rd.statements:
            d = cat.statements[s]
            body.append(f'<li><a href="#{e(anchor(s))}">{e(d.label)}</a> <code>{e(local(s))}</code>: {e(d.text)}'
                        + _dl([("section", e(d.section)), ("article citation", e(", ".join(d.citations))),
                               ("strength", e(d.strength)), ("status", e(d.status)),
                               ("verification", e(d.verification))])
                        + _refs_html(g, d) + "</li>")
        body += ["</ul>", "<h4>SPARQL</h4>", f"<pre><code>{e(r.text)}</code></pre>", "</section>"]
    body.append('<h2 id="statements">Guideline statements</h2>')
    for s, d in cat.statements.items():
        impl = ", ".join(f'<a href="#rule-{e(x)}">{e(x)}</a>' for x in d.rules) or "no rule"
        body += [f'<section class="statement" id="{e(anchor(s))}">', f"<h3>{e(d.label)}</h3>", _dl([
            ("IRI", f"<code>{e(s)}</code>"), ("type", e(d.kind)), ("text", e(d.text)),
            ("article section", e(d.section)), ("article citation", e(", ".join(d.citations))),
            ("strength", e(d.strength)), ("status", e(d.status)), ("verification", e(d.verification)),
            ("primary source locator", e("; ".join(d.locators))), ("editorial note", e(d.note)),
            ("implemented by", impl),
        ]), _refs_html(g, d), "</section>"]
    body += ['<h2 id="thresholds">Thresholds</h2>',
             "<table><tr><th>threshold</th><th>value</th><th>definition</th><th>sources</th>"
             "<th>verification</th><th>note</th></tr>"]
    for t in _threshold_rows(g, cat):
        srcs = "; ".join(f'<a href="#{e(anchor(r))}">{e(label(g, r))}</a>' for r in t["sources"])
        body.append(f'<tr id="{e(anchor(t["iri"]))}"><td>{e(t["label"])}<br><code>{e(local(t["iri"]))}</code></td>'
                    f'<td>{e(t["value"])} {e(t["unit"])}</td><td>{e(t["definition"])}</td><td>{srcs}</td>'
                    f'<td>{e(t["verification"])}</td><td>{e(t["note"])}</td></tr>')
    body += ["</table>", '<h2 id="references">References</h2>', "<ul>"]
    for ref in cat.references:
        note = first(g, ref, SKOS.editorialNote)
        body.append(f'<li id="{e(anchor(ref))}"><strong>{e(label(g, ref))}</strong> <code>{e(local(ref))}</code>: '
                    f"{e(_ref_summary(g, ref))}" + (f'<br><span class="muted">{e(note)}</span>' if note else "") + "</li>")
    body.append("</ul>")
    return _page("dorsum rule catalogue", kb, body)


def _refs_html(g: Graph, d: StatementDoc) -> str:
    if not d.refs:
        return ""
    items = "".join(f'<li>{e(u.relation)}: <a href="#{e(anchor(u.ref))}">{e(label(g, u.ref))}</a>: '
                    f"{e(_ref_summary(g, u.ref))}</li>" for u in d.refs)
    loc = f"<p>primary source locators: {e('; '.join(d.locators))}</p>" if d.locators else ""
    return f"<ul>{items}</ul>{loc}"


def _md(text) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")


def catalogue_markdown(kb: KnowledgeBase, cat: Catalogue) -> str:
    g = kb.graph
    out = ["# dorsum rule catalogue", "",
           f"Generated by `dorsum docs` from knowledge base version {kb.version}, SHA-256 `{kb.sha256}`. "
           "Do not edit: regenerate.", "", f"> {DISCLAIMER}", "", "## Rules", ""]
    for rd in cat.rules:
        r = rd.rule
        out += [f"### {_md(r.title)}", "", f"- IRI: `{r.iri}`", f"- slug: `{rd.slug}`", f"- file: `{r.relpath}`",
                f"- status: {r.status}", f"- version: {r.header.get('version', '')}", f"- stratum: {r.stratum}"]
        if r.header.get("description"):
            out.append(f"- description: {_md(r.header['description'])}")
        out.append("- implements:")
        for s in rd.statements:
            d = cat.statements[s]
            out.append(f"  - `{local(s)}` ({_md(d.label)}): {_md(d.text)} (section: {_md(d.section)}; "
                       f"citation: {', '.join(d.citations) or 'none'}; strength: {d.strength or 'none'}; status: {d.status})")
            out += [f"    - {_md(u.relation)}: {_md(_ref_summary(g, u.ref))}" for u in d.refs]
        out += ["", "```sparql", r.text.rstrip("\n"), "```", ""]
    out += ["## Guideline statements", ""]
    for s, d in cat.statements.items():
        out += [f"### {_md(d.label)}", "", f"- IRI: `{s}`", f"- type: {_md(d.kind)}", f"- text: {_md(d.text)}",
                f"- article section: {_md(d.section)}", f"- article citation: {', '.join(d.citations) or 'none'}",
                f"- strength: {d.strength or 'none'}", f"- status: {d.status}", f"- verification: {d.verification}",
                f"- implemented by: {', '.join(f'`{x}`' for x in d.rules) or 'no rule'}"]
        if d.locators:
            out.append(f"- primary source locators: {_md('; '.join(d.locators))}")
        out += [f"- {_md(u.relation)}: {_md(_ref_summary(g, u.ref))}" for u in d.refs]
        out.append("")
    out += ["## Thresholds", "", "| threshold | value | definition | sources | verification |", "|---|---|---|---|---|"]
    for t in _threshold_rows(g, cat):
        out.append(f"| {_md(t['label'])} (`{local(t['iri'])}`) | {_md(t['value'])} {_md(t['unit'])} | "
                   f"{_md(t['definition'])} | {_md('; '.join(label(g, r) for r in t['sources']))} | {t['verification']} |")
    out += ["", "## References", ""]
    out += [f"- **{_md(label(g, ref))}** (`{local(ref)}`): {_md(_ref_summary(g, ref))}" for ref in cat.references]
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------- pathway diagram

@dataclass(frozen=True)
class Node:
    id: str
    kind: str              # finding, threshold, rule, outcome
    label: str
    tooltip: str = ""
    category: str = ""     # outcome: IRI of the category class
    url: str = ""


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    optional: bool = False  # read only in OPTIONAL / NOT EXISTS / MINUS: an absence or an option
    label: str = ""
    isa: bool = False


def node_id(kind: str, iri) -> str:
    """A DOT node id: kind/IRI without its scheme. No colon, which the graphviz package would read
    as a port in an edge statement."""
    return f"{kind}/" + str(iri).split("://", 1)[-1].replace(":", "%3A")


@dataclass
class Pathway:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: set[Edge] = field(default_factory=set)
    categories: dict[str, str] = field(default_factory=dict)   # category IRI -> label


def _terms(node, negated=False, role="other"):
    """Yield (term, role, negated) for every IRI in a SPARQL algebra tree. `negated` is true under
    OPTIONAL (the right side of a LeftJoin), NOT EXISTS and MINUS."""
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, URIRef):
        yield node, role, negated
    elif isinstance(node, PropertyPath):
        for attr in ("args", "arg", "path"):
            sub = getattr(node, attr, None)
            if sub is not None:
                yield from _terms(sub, negated, "predicate")
    elif isinstance(node, CompValue):
        name = node.name
        for key, val in node.items():
            if key == "_vars":
                continue
            neg = negated or (name == "LeftJoin" and key in ("p2", "expr")) or (name == "Minus" and key == "p2") \
                or name == "Builtin_NOTEXISTS"
            yield from _terms(val, neg, role)
    elif isinstance(node, tuple) and len(node) == 3:
        for term, r in zip(node, ("subject", "predicate", "object")):
            yield from _terms(term, negated, r)
    elif isinstance(node, dict):
        for val in node.values():
            yield from _terms(val, negated, role)
    elif isinstance(node, (list, tuple, set)):
        for val in node:
            yield from _terms(val, negated, role)


def parse_rule(rule: RuleFile):
    """The rule's CONSTRUCT template triples and the (term, role, negated) reads of its WHERE."""
    from rdflib.plugins.sparql import prepareQuery

    try:
        alg = prepareQuery(SPARQL_PREFIXES + rule.text).algebra
    except Exception as exc:  # pyparsing and rdflib raise several types; all mean "cannot read it"
        raise KnowledgeBaseError(rule.relpath, f"rdflib cannot parse the rule for the pathway diagram: {exc}") from exc
    return list(alg.get("template") or []), [t for t in _terms(alg.p) if str(t[0]).startswith(str(DORSUM))]


def pathway(kb: KnowledgeBase) -> Pathway:
    """Findings -> rules -> outcomes, derived from the rule texts and the ontology.

    Findings are the dorsum terms a rule's WHERE reads that belong to the case's input: properties
    with a dorsum:jsonPath (or whose domain is a class such properties describe), the values in
    their ranges, and classes of such values. Outcomes are the named individuals a CONSTRUCT
    template puts in an object property whose rdfs:range they belong to (actions, urgency levels,
    warnings, diagnoses, risk factors ...); a conclusion with no such individual is shown by its
    class. A rule that reads another rule's outcome gets an edge from it, so chains show.
    """
    g = kb.graph
    pw = Pathway()
    rules = [r for r in kb.rules if r.status == "active"]
    parsed = {r.iri: parse_rule(r) for r in rules}

    input_props = set(g.subjects(DORSUM.jsonPath, None))
    containers = {d for p in input_props for d in g.objects(p, RDFS.domain)}
    finding_props = input_props | {p for c in containers for p in g.subjects(RDFS.domain, c)}
    finding_props -= {p for p in finding_props if set(g.objects(p, RDFS.range)) & containers}
    value_classes = {sub for p in finding_props for r in g.objects(p, RDFS.range) for sub in subclasses(g, r)}
    conclusion_types = {o for tpl, _ in parsed.values() for (_, p, o) in tpl if p == RDF.type}
    thresholds = set(instances(g, DORSUM.Threshold))

    def outcome(iri, category):
        nid = node_id("outcome", iri)
        kind = "conclusion" if iri == category else label(g, category)
        pw.nodes.setdefault(nid, Node(nid, "outcome", label(g, iri) + "\\n(" + kind + ")",
                                      tooltip=str(first(g, iri, SKOS.definition) or label(g, iri)),
                                      category=str(category)))
        pw.categories[str(category)] = label(g, category)
        return nid

    produced: dict = {}       # outcome term -> rule IRIs producing it
    for r in rules:
        rid = node_id("rule", r.iri)
        pw.nodes[rid] = Node(rid, "rule", rule_slug(r), tooltip=r.title, url=f"{RULES_HTML}#rule-{rule_slug(r)}")
        tpl, _ = parsed[r.iri]
        subjects = sorted({s for s, _, _ in tpl}, key=str)
        for subj in subjects:
            triples = [(p, o) for s, p, o in tpl if s == subj]
            strength = ", ".join(sorted(label(g, o) for p, o in triples if p == DORSUM.strength and isinstance(o, URIRef)))
            found = False
            for p, o in sorted(triples, key=str):
                if p in (RDF.type, DORSUM.strength) or not isinstance(o, URIRef) or (o, RDF.type, OWL.NamedIndividual) not in g:
                    continue
                ranges = [c for c in sorted(g.objects(p, RDFS.range), key=str) if c in types(g, o)]
                if ranges:
                    pw.edges.add(Edge(rid, outcome(o, ranges[0]), label=strength))
                    produced.setdefault(o, set()).add(r.iri)
                    found = True
            if not found:
                for o in sorted(o for p, o in triples if p == RDF.type and isinstance(o, URIRef)):
                    pw.edges.add(Edge(rid, outcome(o, o), label=strength))
                    produced.setdefault(o, set()).add(r.iri)

    for r in rules:
        rid = node_id("rule", r.iri)
        _, reads = parsed[r.iri]
        seen: dict = {}
        for term, role, neg in reads:
            seen.setdefault((term, role), []).append(neg)
        for (term, role), negs in sorted(seen.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
            neg = all(negs)
            is_class = (term, RDF.type, OWL.Class) in g
            if term in thresholds:
                nid = node_id("threshold", term)
                value = " ".join(texts(g, term, DORSUM.thresholdValue) + texts(g, term, DORSUM.unit))
                pw.nodes.setdefault(nid, Node(nid, "threshold", f"{label(g, term)}\\n{value}",
                                              tooltip=str(first(g, term, SKOS.definition) or ""),
                                              url=f"{RULES_HTML}#{anchor(term)}"))
                pw.edges.add(Edge(nid, rid, optional=neg))
            elif term in produced and role == "object" and r.iri not in produced[term] and not (types(g, term) & value_classes):
                pw.edges.add(Edge(node_id("outcome", term), rid, optional=neg))
            elif is_class and term in produced and r.iri not in produced[term]:
                pw.edges.add(Edge(node_id("outcome", term), rid, optional=neg))
            elif is_class and _outcome_class(g, term, produced, value_classes):
                # a class of outcomes (e.g. every individual of some kind): one node, is-a edges in
                cid = node_id("outcome", term)
                member = next(pw.nodes[node_id("outcome", m)] for m in instances(g, term) if m in produced)
                pw.nodes.setdefault(cid, Node(cid, "outcome", label(g, term) + "\\n(any of these)",
                                              tooltip=str(first(g, term, SKOS.definition) or ""), category=member.category))
                for m in instances(g, term):
                    if m in produced:
                        pw.edges.add(Edge(node_id("outcome", m), cid, isa=True))
                pw.edges.add(Edge(cid, rid, optional=neg))
            elif _is_finding(g, term, role, is_class, finding_props, value_classes, containers, conclusion_types):
                nid = node_id("finding", term)
                pw.nodes.setdefault(nid, Node(nid, "finding", _finding_label(g, term, is_class, finding_props),
                                              tooltip=str(first(g, term, SKOS.definition) or "")))
                pw.edges.add(Edge(nid, rid, optional=neg))
    # an edge that is both required and optional is required
    required = {(x.src, x.dst) for x in pw.edges if not x.optional}
    pw.edges = {x for x in pw.edges if not (x.optional and (x.src, x.dst) in required)}
    return pw


def _outcome_class(g, cls, produced, value_classes) -> bool:
    """A class whose members are other rules' outcomes and none is a case input value."""
    members = instances(g, cls)
    return cls not in value_classes and any(m in produced for m in members) \
        and not any(types(g, m) & value_classes for m in members)


def _is_finding(g, term, role, is_class, finding_props, value_classes, containers, conclusion_types) -> bool:
    if term in finding_props:
        return role in ("predicate", "other")
    if is_class:
        return term not in containers and term not in conclusion_types
    return bool(types(g, term) & value_classes)


def _finding_label(g: Graph, term, is_class: bool, finding_props) -> str:
    """An input property by its JSON path; a value as `path = notation`, as the result's `because`
    lists write it; a class of values by its label."""
    path = first(g, term, DORSUM.jsonPath)
    if path is not None:
        return str(path)
    if is_class:
        return label(g, term) + "\\n(class)"
    name = str(first(g, term, SKOS.notation) or label(g, term))
    owners = sorted(str(first(g, p, DORSUM.jsonPath) or label(g, p)) for p in finding_props
                    if any(r in types(g, term) for r in g.objects(p, RDFS.range)))
    return " | ".join(f"{o} = {name}" for o in owners) if owners else name


def pathway_dot(kb: KnowledgeBase, pw: Pathway) -> str:
    """The pathway as DOT text (graphviz package), nodes and edges in sorted order."""
    import graphviz

    dot = graphviz.Digraph("pathway", graph_attr={
        "rankdir": "LR", "label": f"dorsum pathway: findings -> rules -> outcomes (knowledge base {kb.version})",
        "labelloc": "t", "fontname": "Helvetica", "ranksep": "1.2"},
        node_attr={"fontname": "Helvetica", "fontsize": "10"},
        edge_attr={"color": "#555555", "fontname": "Helvetica", "fontsize": "9"})
    colours = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(sorted(pw.categories))}
    style = {"finding": {"shape": "ellipse", "style": "filled", "fillcolor": "#f7f7f7"},
             "threshold": {"shape": "note", "style": "filled", "fillcolor": "#ffffff"},
             "rule": {"shape": "box", "style": "filled", "fillcolor": "#ffffff", "penwidth": "1.5"},
             "outcome": {"shape": "box", "style": "rounded,filled"}}
    for nid in sorted(pw.nodes):
        n = pw.nodes[nid]
        attrs = dict(style[n.kind], **{"class": n.kind})
        if n.kind == "outcome":
            attrs["fillcolor"] = colours.get(n.category, "#ffffff")
        if n.tooltip:
            attrs["tooltip"] = n.tooltip
        if n.url:
            attrs["URL"] = n.url
        dot.node(nid, n.label, **attrs)
    for x in sorted(pw.edges, key=lambda x: (x.src, x.dst, x.label, x.optional, x.isa)):
        attrs = {}
        if x.optional:
            attrs["style"] = "dashed"
        if x.isa:
            attrs.update(style="dotted", arrowhead="empty")
        if x.label:
            attrs["label"] = x.label
        dot.edge(x.src, x.dst, **attrs)
    with dot.subgraph(name="cluster_legend") as leg:
        leg.attr(label="legend", fontname="Helvetica")
        leg.node("legend/finding", "finding (case input)", **style["finding"], **{"class": "legend"})
        leg.node("legend/threshold", "threshold", **style["threshold"], **{"class": "legend"})
        leg.node("legend/rule", "rule (file slug)", **style["rule"], **{"class": "legend"})
        for c in sorted(pw.categories):
            leg.node(node_id("legend", c), pw.categories[c], **style["outcome"], fillcolor=colours[c],
                     **{"class": "legend"})
        leg.node("legend/dashed", "dashed edge: read in OPTIONAL / NOT EXISTS\\n(absent, unknown or optional)",
                 shape="plaintext", **{"class": "legend"})
    return dot.source


def render_svg(dot_text: str) -> bytes | None:
    """SVG from Graphviz's `dot`, or None when `dot` is not installed."""
    import graphviz

    try:
        return graphviz.Source(dot_text).pipe(format="svg")
    except graphviz.ExecutableNotFound:
        return None


# ------------------------------------------------------------------------------------- the index

def index_html(kb: KnowledgeBase, svg: bool) -> str:
    c = kb.counts()
    diagram = (f'<a href="{PATHWAY_SVG}">pathway diagram</a> (SVG; source <a href="{PATHWAY_DOT}">DOT</a>)' if svg
               else f'<a href="{PATHWAY_DOT}">pathway diagram</a> (DOT only: Graphviz was not installed when this '
                    "was generated; install it and rerun <code>make docs</code> for the SVG)")
    body = [_dl([("version", e(kb.version)), ("SHA-256", f"<code>{e(kb.sha256)}</code>"),
                 ("contents", e(f"{c['classes']} classes, {c['statements']} statements, {c['references']} references, "
                                f"{c['rules']} rules, {c['triples']} triples"))]),
            "<ul>",
            f'<li><a href="{ONTOLOGY_HTML}">ontology reference</a> (pyLODE)</li>',
            f'<li><a href="{RULES_HTML}">rule catalogue</a> (also as <a href="{RULES_MD}">Markdown</a>): every rule, '
            "the guideline statements it implements and their references, with its SPARQL; every statement; the thresholds</li>",
            f"<li>{diagram}: findings &rarr; rules &rarr; actions, urgency levels, warnings and diagnoses</li>",
            f'<li><a href="{HAZARDS_MD}">clinical hazard log</a> (Markdown): each hazard, its controls and their tests</li>',
            "</ul>"]
    return _page("dorsum knowledge-base documentation", kb, body)


# ------------------------------------------------------------------------------------ generation

def generate(out: str | Path, kb: KnowledgeBase | None = None, svg: bool = True) -> DocsResult:
    """Write every artefact into `out` (created if needed) and return what was written."""
    kb = kb or load_kb()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cat = catalogue(kb)
    dot_text = pathway_dot(kb, pathway(kb))
    svg_bytes = render_svg(dot_text) if svg else None
    files = {
        ONTOLOGY_HTML: ontology_html(kb),
        RULES_HTML: catalogue_html(kb, cat),
        RULES_MD: catalogue_markdown(kb, cat),
        PATHWAY_DOT: dot_text,
        INDEX_HTML: index_html(kb, svg_bytes is not None),
        HAZARDS_MD: hazards_markdown(kb),
    }
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8", newline="\n")
    notes = []
    if svg_bytes is not None:
        (out / PATHWAY_SVG).write_bytes(svg_bytes)
        files[PATHWAY_SVG] = ""
    else:
        (out / PATHWAY_SVG).unlink(missing_ok=True)   # never leave a stale diagram beside a new .dot
        notes.append("Graphviz 'dot' not found: wrote pathway.dot only (install graphviz for pathway.svg)")
    return DocsResult(out, sorted(files), svg_bytes is not None, notes)

