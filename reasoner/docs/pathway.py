"""The pathway diagram (pathway.dot, and pathway.svg when Graphviz's `dot` is installed): findings
-> rules -> outcomes, derived from the rules' WHERE clauses and CONSTRUCT templates and the ontology,
so the picture is of what the engine runs. The whole knowledge base on one sheet is a reference no
one can trace a path in; pathway_diagrams (pathway_views.py) cuts it into one diagram a care
pathway, with stable SVG ids for highlighting a case's path."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS
from rdflib.paths import Path as PropertyPath

from ..errors import KnowledgeBaseError
from ..kb.knowledge_base import KnowledgeBase
from ..kb.rule_files import RuleFile
from ..namespaces import DORSUM, SPARQL_PREFIXES
from . import RULES_HTML
from .catalogue import rule_slug
from .terms import anchor, first, instances, label, subclasses, texts, types

# Fill colours for outcome categories, handed out in the sorted order of the category IRIs.
PALETTE = ("#fde0dd", "#fee8c8", "#e5f5e0", "#deebf7", "#efedf5", "#fff7bc", "#e0f3f8", "#f0f0f0")
# Node shapes by kind, shared by the whole-knowledge-base diagram and the per-pathway ones.
STYLE = {"finding": {"shape": "ellipse", "style": "filled", "fillcolor": "#f7f7f7"},
         "threshold": {"shape": "note", "style": "filled", "fillcolor": "#ffffff"},
         "rule": {"shape": "box", "style": "filled", "fillcolor": "#ffffff", "penwidth": "1.5"},
         "outcome": {"shape": "box", "style": "rounded,filled"}}


@dataclass(frozen=True)
class Node:
    id: str
    kind: str              # finding, threshold, rule, outcome
    label: str
    tooltip: str = ""
    category: str = ""     # outcome: IRI of the category class
    url: str = ""
    iri: str = ""          # the term drawn (the per-pathway diagrams re-key nodes by it)


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    optional: bool = False  # read only in OPTIONAL / NOT EXISTS / MINUS: an absence or an option
    label: str = ""
    isa: bool = False


@dataclass(frozen=True)
class PathwayDiagram:
    """One care pathway's diagram as DOT, with what it shows (for the index page and the API)."""

    slug: str
    label: str
    dot: str
    rules: tuple[str, ...]   # rule slugs drawn, own and shared
    nodes: int
    edges: int
    iri: str = ""


def pathway_diagrams(kb: KnowledgeBase) -> list[PathwayDiagram]:
    """One diagram per care pathway, sorted by slug (pathway_views.py says what each shows and
    how its nodes and edges are named)."""
    from .pathway_views import pathway_diagrams as diagrams

    return diagrams(kb)


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


def parsed_rules(kb: KnowledgeBase) -> dict:
    """Every active rule parsed (parse_rule), once per knowledge base: the whole diagram and the
    per-pathway ones read the same parse."""
    return kb.memo(parsed_rules, lambda: {r.iri: parse_rule(r) for r in kb.rules if r.status == "active"})


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
    parsed = parsed_rules(kb)

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
                                      category=str(category), iri=str(iri)))
        pw.categories[str(category)] = label(g, category)
        return nid

    produced: dict = {}       # outcome term -> rule IRIs producing it
    for r in rules:
        rid = node_id("rule", r.iri)
        pw.nodes[rid] = Node(rid, "rule", rule_slug(r), tooltip=r.title, url=f"{RULES_HTML}#rule-{rule_slug(r)}",
                             iri=r.iri)
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
                                              url=f"{RULES_HTML}#{anchor(term)}", iri=str(term)))
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
                                              tooltip=str(first(g, term, SKOS.definition) or ""), category=member.category,
                                              iri=str(term)))
                for m in instances(g, term):
                    if m in produced:
                        pw.edges.add(Edge(node_id("outcome", m), cid, isa=True))
                pw.edges.add(Edge(cid, rid, optional=neg))
            elif _is_finding(g, term, role, is_class, finding_props, value_classes, containers, conclusion_types):
                nid = node_id("finding", term)
                pw.nodes.setdefault(nid, Node(nid, "finding", _finding_label(g, term, is_class, finding_props),
                                              tooltip=str(first(g, term, SKOS.definition) or ""), iri=str(term)))
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
    style = STYLE
    for nid in sorted(pw.nodes):
        n = pw.nodes[nid]
        dot.node(nid, n.label, **node_attrs(n, colours))
    for x in sorted(pw.edges, key=lambda x: (x.src, x.dst, x.label, x.optional, x.isa)):
        dot.edge(x.src, x.dst, **edge_attrs(x))
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


def node_attrs(n: Node, colours: dict, **attrs) -> dict:
    """A node's DOT attributes: its kind's style and class, an outcome's category colour, its
    tooltip and link (the one sheet and the per-pathway diagrams draw nodes alike)."""
    attrs = dict(STYLE[n.kind], **{"class": n.kind}, **attrs)
    if n.kind == "outcome":
        attrs["fillcolor"] = colours.get(n.category, "#ffffff")
    if n.tooltip:
        attrs["tooltip"] = n.tooltip
    if n.url:
        attrs["URL"] = n.url
    return attrs


def edge_attrs(x: Edge, **attrs) -> dict:
    """An edge's DOT attributes: dashed when read only as an absence or option, dotted for is-a."""
    if x.optional:
        attrs["style"] = "dashed"
    if x.isa:
        attrs.update(style="dotted", arrowhead="empty")
    if x.label:
        attrs["label"] = x.label
    return attrs


def render_svg(dot_text: str) -> bytes | None:
    """SVG from Graphviz's `dot`, or None when `dot` is not installed."""
    import graphviz

    try:
        return graphviz.Source(dot_text).pipe(format="svg")
    except graphviz.ExecutableNotFound:
        return None
