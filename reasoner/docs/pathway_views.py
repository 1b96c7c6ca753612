"""One pathway diagram per care pathway (pathway-<slug>.dot/.svg, GET /api/pathways): the rules of
one pathway with the findings they read and the outcomes they make, small enough to read on one
screen, with stable ids so a page can highlight the path a case took.

Each diagram is a view of the whole-knowledge-base diagram (pathway.pathway): the same nodes and
edges, kept for the pathway's rules and re-keyed:

* Rules: those whose `# pathway:` header names the pathway. A rule that names no pathway (a shared
  rule, which fires on any case) is drawn in every pathway diagram whose rules make (as a class or
  an individual in their CONSTRUCT templates) a term its WHERE reads, and in every diagram when it
  reads nothing any rule makes. A class it reads is drawn as one "(any rule's)" outcome node, so
  the shared rule shows its premise without an edge from every rule that makes it.
* Findings are merged by JSON path: a property, the values read from its range (`= deep`) and the
  classes of those values are one node, labelled with the values this pathway's rules read. A
  class of values no input property ranges over keeps its own node.
* Not drawn: the guideline statements and thresholds a template cites (the rule catalogue has
  them), a term a rule reads and writes back (an echo, not an outcome), and the edges from the
  pathway's own entry into its rules (every rule of a pathway requires it; the entry rules show
  how a case gets there). An input predicate that rules derive (entering a pathway) is shown as
  the outcome that derives it.
* A rule whose every outcome was left out is drawn concluding the class its template writes
  (a missing finding, say), so the rules that read that class connect to it.
* Parallel edges are merged: required if any is, labels (strength) joined. An edge from a finding
  or threshold into a rule it already reaches through other rules is left out (a transitive
  reduction of the inputs' edges): the path shows the dependency and the short cut would cross it.

Ids (the DOT `id` of each node and edge, so the `id` of its SVG <g>; unique in a diagram):

* `rule-<slug>`: a rule, slug = last path segment of its IRI (the JSON results' "rule"/"rules").
* `finding-<json path>`: an input finding, e.g. `finding-<object>.<key>` (the property's
  dorsum:jsonPath, as the results' "because" entries start); a value class with no input property
  is `finding-<its skos:notation or local name>`.
* `outcome-<slug>`: an action, urgency level, warning, diagnosis, risk factor or
  conclusion class; slug = its skos:notation (as the JSON results print it) or its local name.
  A care pathway entered is `pathway-<slug>` (as the results' "pathways" list it; class outcome),
  since a pathway and a diagnosis may share a slug. Should two other outcomes share a notation,
  both are named by their local names (`outcome-<local name>`), so ids stay unique.
* a threshold a rule compares with: its class (`threshold`), a hyphen and its slug (skos:notation
  or local name, which may itself start with the word).
* `edge-<source id>--<target id>`: an edge.

Nodes carry `class` rule, finding, outcome or threshold; edges carry class `edge`. Rank direction
is left to right: findings -> rules -> outcomes (and on to the rules that read them).
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from ..kb.knowledge_base import KnowledgeBase
from ..namespaces import DORSUM
from .catalogue import rule_slug
from .pathway import PALETTE, Edge, Node, Pathway, PathwayDiagram, edge_attrs, node_attrs, parsed_rules, pathway
from .terms import first, instances, label, local, subclasses, types


INPUTS = ("finding", "threshold")


def pathway_diagrams(kb: KnowledgeBase) -> list[PathwayDiagram]:
    """A diagram for every care pathway the ontology declares, sorted by slug; made once per
    knowledge base (the server asks for them on every page)."""
    return kb.memo(pathway_diagrams, lambda: _diagrams(kb))


def _diagrams(kb: KnowledgeBase) -> list[PathwayDiagram]:
    g = kb.graph
    full = pathway(kb)
    parsed = parsed_rules(kb)
    rules = sorted((r for r in kb.rules if r.iri in parsed), key=rule_slug)
    made = {r.iri: _made(tpl) for r in rules for tpl in [parsed[r.iri][0]]}
    reads: dict = {r.iri: {} for r in rules}    # rule -> term read -> only in OPTIONAL / NOT EXISTS
    for r in rules:
        for term, _, negated in parsed[r.iri][1]:
            reads[r.iri][term] = reads[r.iri].get(term, True) and negated
    any_made = set().union(*made.values()) if made else set()
    classes = {r.iri: sorted({o for _, q, o in parsed[r.iri][0] if q == RDF.type and isinstance(o, URIRef)}, key=str)
               for r in rules}
    keys = _Keys(kb, full, parsed)
    out = []
    for p in instances(g, DORSUM.CarePathway):
        own = [r for r in rules if r.pathway == str(p)]
        mine = set().union(*(made[r.iri] for r in own)) if own else set()
        shared = [r for r in rules if r.pathway is None
                  and (reads[r.iri].keys() & mine or not reads[r.iri].keys() & any_made)]
        premises = {r.iri: {t: neg for t, neg in reads[r.iri].items() if t in mine} for r in shared}
        out.append(_view(g, full, keys, p, own + shared, _Reads(reads, classes, premises)))
    return sorted(out, key=lambda d: d.slug)


@dataclass(frozen=True)
class _Reads:
    """What the rules read (term -> read only in OPTIONAL / NOT EXISTS) and the classes they write,
    and the premises a pathway's shared rules take from its rules."""

    reads: dict
    classes: dict
    shared: dict


def _made(template) -> set:
    """The classes and individuals a CONSTRUCT template writes (what another rule can read)."""
    return {o for _, _, o in template if isinstance(o, URIRef)}


class _Keys:
    """The id and merged label of every node of the whole diagram, by the convention above."""

    def __init__(self, kb: KnowledgeBase, full: Pathway, parsed: dict):
        g = self.g = kb.graph
        self.full = full
        self.derived_predicates = {p for tpl, _ in parsed.values() for _, p, _ in tpl}
        self.outcomes = {n.iri: n for n in full.nodes.values() if n.kind == "outcome"}
        self.paths = {p: str(v) for p, v in g.subject_objects(DORSUM.jsonPath)}
        self.cited = set(instances(g, DORSUM.GuidelineStatement)) | set(instances(g, DORSUM.Threshold))
        self.ids: dict[str, str] = {}      # whole-diagram node id -> view id ("" = not drawn)
        self.values: dict[str, str] = {}   # term merged into an input property's node -> its value text
        self.pathways = {str(x) for x in instances(g, DORSUM.CarePathway)}
        seen: dict[str, set] = {}
        for term in set(self.outcomes) - self.pathways:
            seen.setdefault(self.slug(term), set()).add(term)
        self.shared_slugs = {slug for slug, terms in seen.items() if len(terms) > 1}
        for nid in sorted(full.nodes):
            self.ids[nid] = self._key(full.nodes[nid])

    def slug(self, term) -> str:
        return str(first(self.g, URIRef(term), SKOS.notation) or local(term))

    def outcome(self, term) -> str:
        """An outcome's id: by its slug, or by its local name when another outcome has that slug; a
        care pathway entered by pathway-<slug>, as a pathway and a diagnosis may share a slug."""
        slug = self.slug(term)
        if str(term) in self.pathways:
            return "pathway-" + slug
        return "outcome-" + (local(term) if slug in self.shared_slugs else slug)

    def _key(self, n: Node) -> str:
        term = URIRef(n.iri)
        if n.kind == "rule":
            return "rule-" + local(term)
        if n.kind == "threshold":
            return f"{n.kind}-{self.slug(term)}"
        if n.kind == "outcome":
            return "" if term in self.cited else self.outcome(term)
        if term in self.derived_predicates:    # an input that rules also derive: drawn as an outcome
            return ""
        if term in self.paths:
            return "finding-" + self.paths[term]
        owners = self._owners(term)
        if not owners:
            return self.outcome(term) if n.iri in self.outcomes else "finding-" + self.slug(term)
        vid = "finding-" + owners[0]
        is_class = (term, RDF.type, OWL.Class) in self.g
        self.values[n.iri] = label(self.g, term) if is_class else self.slug(term)
        return vid

    def _owners(self, term) -> list[str]:
        """The JSON paths of the input properties whose range holds the value (or value class)."""
        out = set()
        for prop, path in self.paths.items():
            for rng in self.g.objects(prop, RDFS.range):
                if term in subclasses(self.g, rng) or rng in types(self.g, term):
                    out.add(path)
        return sorted(out)

    def node(self, vid: str, n: Node, merged: set = frozenset()) -> Node:
        """The whole diagram's node re-keyed for a view: a merged finding is labelled by its path
        and the values this view's rules read (the terms merged into it)."""
        if n.kind == "finding" and not vid.startswith("finding-"):   # an input rules derive: the outcome
            n = self.outcomes.get(n.iri, n)
        if n.kind != "finding":
            return Node(vid, n.kind, n.label, n.tooltip, n.category, n.url, n.iri)
        path = vid[len("finding-"):]
        values = sorted({self.values[t] for t in merged if t in self.values})
        text = path + ("\\n= " + " | ".join(values) if values else "") if path in self.paths.values() else n.label
        return Node(vid, "finding", text, "" if values else n.tooltip, "", "", n.iri)


def _view(g, full: Pathway, keys: _Keys, p, chosen: list, facts: _Reads) -> PathwayDiagram:
    """One pathway's diagram: the whole diagram's edges at the chosen rules, re-keyed and merged."""
    rule_ids = {f"rule-{rule_slug(r)}" for r in chosen}
    own_entry = keys.outcome(p)
    nodes: dict[str, Node] = {}
    terms: dict[str, set] = {}       # view node id -> the whole diagram's terms drawn as it
    merged: dict[tuple, list] = {}
    for x in sorted(full.edges, key=lambda x: (x.src, x.dst, x.label, x.optional, x.isa)):
        src, dst = keys.ids.get(x.src, ""), keys.ids.get(x.dst, "")
        if not src or not dst or src == dst or not ({src, dst} & rule_ids or x.isa):
            continue
        merged.setdefault((src, dst), []).append(x)
        for vid, nid in ((src, x.src), (dst, x.dst)):
            terms.setdefault(vid, set()).add(full.nodes[nid].iri)
            nodes[vid] = keys.node(vid, full.nodes[nid], terms[vid])
    for r in chosen:          # a rule whose outcomes were all dropped: the class it concludes
        rid = f"rule-{rule_slug(r)}"
        nodes.setdefault(rid, keys.node(rid, full.nodes[_full_id(full, r.iri)]))
        if not any(src == rid and (dst, src) not in merged for src, dst in merged):
            for cls in facts.classes[r.iri]:
                cid = keys.outcome(cls)
                nodes.setdefault(cid, Node(cid, "outcome", label(g, cls) + "\\n(conclusion)", iri=str(cls),
                                           category=str(cls)))
                merged.setdefault((rid, cid), []).append(Edge(rid, cid))
    drawn = {n.iri: vid for vid, n in nodes.items() if n.kind == "outcome"}
    for r in chosen:          # premises read as a class another rule here concludes; shared rules' premises
        rid = f"rule-{rule_slug(r)}"
        for term, optional in sorted(facts.reads[r.iri].items(), key=lambda kv: str(kv[0])):
            tid = drawn.get(str(term))
            if tid is None and term in facts.shared.get(r.iri, {}):
                tid = keys.outcome(term)
                nodes.setdefault(tid, Node(tid, "outcome", label(g, term) + "\\n(any rule's)", iri=str(term),
                                           category=str(term)))
            if tid is not None and (rid, tid) not in merged:
                merged.setdefault((tid, rid), []).append(Edge(tid, rid, optional=optional))
    edges = _reduce(_merge(merged, rule_ids, own_entry), {k for k, n in nodes.items() if n.kind in INPUTS})
    used = {v for e in edges for v in (e.src, e.dst)} | rule_ids
    nodes = {k: v for k, v in nodes.items() if k in used}
    slug = keys.slug(p)
    dot = view_dot(slug, label(g, p), nodes, edges, full.categories)
    return PathwayDiagram(slug, label(g, p), dot, tuple(sorted(rule_slug(r) for r in chosen)),
                          len(nodes), len(edges), str(p))


def _full_id(full: Pathway, iri: str) -> str:
    return next(k for k, n in full.nodes.items() if n.kind == "rule" and n.iri == iri)


def _merge(merged: dict, rule_ids: set, own_entry: str) -> list[Edge]:
    """One edge a pair: required if any is; drop echoes (a rule writing back what it reads), the
    pathway's entry into its own rules, and is-a edges whose member no rule here makes."""
    out = []
    for (src, dst), xs in sorted(merged.items()):
        if src in rule_ids and (dst, src) in merged:
            continue
        if src == own_entry and dst in rule_ids:
            continue
        isa = any(x.isa for x in xs)
        if isa and not any((r, src) in merged for r in rule_ids):
            continue
        labels = sorted({x.label for x in xs if x.label})
        out.append(Edge(src, dst, optional=all(x.optional for x in xs), label=", ".join(labels), isa=isa))
    return out


def _reduce(edges: list[Edge], inputs: set) -> list[Edge]:
    """Leave out an edge from a finding or threshold into a rule it reaches anyway through other
    rules (input -> rule -> outcome -> this rule): the longer path shows that the input bears on
    the rule, and the short cut would cross the picture."""
    after: dict = {}
    for x in edges:
        after.setdefault(x.src, set()).add(x.dst)

    def reaches(start, goal) -> bool:
        seen, todo = set(), [n for n in after.get(start, ()) if n != goal]
        while todo:
            n = todo.pop()
            if n == goal:
                return True
            if n not in seen:
                seen.add(n)
                todo.extend(after.get(n, ()))
        return False
    return [x for x in edges if x.src not in inputs or not reaches(x.src, x.dst)]


def view_dot(slug: str, title: str, nodes: dict[str, Node], edges: list[Edge], categories: dict) -> str:
    """A pathway's diagram as self-contained DOT: no images, fonts or URLs but links into rules.html."""
    import graphviz

    dot = graphviz.Digraph(f"pathway-{slug}", graph_attr={
        "rankdir": "LR", "label": f"{title}: findings -> rules -> outcomes\\n"
        "ellipse: finding; note: threshold; box: rule; rounded box: outcome; "
        "dashed: read when absent, unknown or optional", "labelloc": "t", "fontname": "Helvetica",
        "ranksep": "0.5", "nodesep": "0.12"},
        node_attr={"fontname": "Helvetica", "fontsize": "10"},
        edge_attr={"color": "#555555", "fontname": "Helvetica", "fontsize": "8"})
    colours = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(sorted(categories))}
    for vid in sorted(nodes):
        n = nodes[vid]
        dot.node(vid, n.label, **node_attrs(n, colours, id=vid))
    for x in edges:
        dot.edge(x.src, x.dst, **edge_attrs(x, **{"id": f"edge-{x.src}--{x.dst}", "class": "edge"}))
    return dot.source
