"""The proof of a case's result as a DAG: conclusion <- rule <- premises <- input findings.

A red flag that three recommendations rest on is one node with three parents, not three copies:
`nodes` holds every step once, keyed by its IRI, and a step names the steps it rests on by key.
`roots` are the conclusions the result shows (in the order of the result's keys), then any
conclusion no other one rests on. Each conclusion node carries the JSON key and item it is shown
under (`shown_as`), so a page can open the proof of one action from its item.

The proof is read from the result graph's PROV-O (the same triples a store holds); what each kind
of conclusion is called comes from the knowledge base's declaration (ontology/results.ttl). The
JSON (`dorsum explain --format json`, `POST /classify?proof=true`), the text report and the HTML
page are all rendered from this one structure.
"""

from __future__ import annotations

from rdflib import URIRef
from rdflib.namespace import RDF, RDFS

from ..namespaces import DORSUM, PROV

PROOF_NOTE = ("conclusion <- rule <- premises <- input findings; a step that several conclusions rest on "
              "is shown once")


def _kind_of(g, view, c):
    for kind in view.kb.result_kinds.all:
        if (c, RDF.type, kind.cls) in g:
            return kind
    return None


def _concept(g, view, c, kind):
    """(label, item slug or JSON path) of a conclusion's value."""
    if kind is None or kind.value is None:
        return None, None
    concept = g.value(c, kind.value)
    if concept is None:
        return None, None
    if kind.named_by_path:
        path = view.kbg.value(concept, DORSUM.jsonPath)
        name = str(path) if path is not None else view.slug(concept)
        return name, name
    return view.label(concept), view.slug(concept)


def conclusion_label(g, view, c) -> str:
    """What the proof calls a conclusion: its kind's report label and its value."""
    kind = _kind_of(g, view, c)
    if kind is None:
        return str(c)
    label, item = _concept(g, view, c, kind)
    if item is None:
        return kind.report_label
    days = g.value(c, DORSUM.withinDays)
    extra = f" (within {int(float(days))} days)" if days is not None and not kind.named_by_path else ""
    return f"{kind.report_label}: {item}{extra}"


class _Builder:
    def __init__(self, g, view):
        self.g, self.view, self.kbg = g, view, view.kbg
        self.nodes: dict[str, dict] = {}

    def rule(self, rule: str) -> str:
        if rule not in self.nodes:
            r = URIRef(rule)
            title = self.kbg.value(r, RDFS.label)
            self.nodes[rule] = {"kind": "rule", "slug": rule.rsplit("/", 1)[-1],
                                "label": str(title) if title is not None else rule.rsplit("/", 1)[-1]}
        return rule

    def statement(self, s: str) -> str:
        if s not in self.nodes:
            iri = URIRef(s)
            text = self.kbg.value(iri, DORSUM.statementText)
            section = self.kbg.value(iri, DORSUM.articleSection)
            note = self.kbg.value(iri, DORSUM.conflictNote)
            self.nodes[s] = {
                "kind": "statement", "slug": s.rsplit("/", 1)[-1],
                "label": str(text) if text is not None else self.view.label(iri),
                "evidence_status": self.view.evidence_status([s]),
                "article_section": str(section) if section is not None else None,
                "article_citations": sorted(int(x) for x in self.kbg.objects(iri, DORSUM.articleCitation)),
                "references": self.view.references_of([s]),
                "conflict": str(note) if note is not None else None}
        return s

    def finding(self, f) -> str:
        key = str(f)
        if key not in self.nodes:
            label = self.g.value(f, RDFS.label)
            self.nodes[key] = {"kind": "input", "label": str(label) if label is not None else key}
        return key

    def conclusion(self, c) -> str:
        key = str(c)
        if key in self.nodes:
            return key
        g, view = self.g, self.view
        self.nodes[key] = {}  # reserved first: a premise cycle (never written by a rule) stops here
        kind = _kind_of(g, view, c)
        _label, item = _concept(g, view, c, kind)
        rule = view.rule_of(g, c)
        premises, inputs = [], []
        for p in sorted(g.objects(c, PROV.wasDerivedFrom), key=str):
            if (p, RDF.type, DORSUM.InputFinding) in g:
                inputs.append(self.finding(p))
            elif view.rule_of(g, p) is not None:
                premises.append(self.conclusion(p))
        statements = sorted(str(s) for s in g.objects(c, DORSUM.supportedBy))
        departs = sorted(str(s) for s in g.objects(c, DORSUM.departsFrom))
        for s in (*statements, *departs):
            self.statement(s)
        pathway = g.value(c, DORSUM.pathway)
        days = g.value(c, DORSUM.withinDays)
        strength = g.value(c, DORSUM.strength)
        self.nodes[key] = {
            "kind": "conclusion", "label": conclusion_label(g, view, c),
            "shown_as": {"key": kind.json_key, "item": item} if kind is not None and kind.json_key else None,
            "within_days": int(float(days)) if days is not None else None,
            "strength": view.slug(strength) if strength is not None else None,
            "pathway": view.slug(pathway) if pathway is not None else None,
            "evidence_status": view.evidence_status(statements),
            "conflicts": view.conflicts_of(sorted(set(statements) | set(departs))),
            "rule": self.rule(rule) if rule is not None else None,
            "statements": statements, "departs_from": departs,
            "premises": premises, "inputs": inputs,
            "because": sorted(str(t) for t in g.objects(c, DORSUM.becauseText))}
        return key


def build_proof(result, view) -> dict:
    """The proof DAG of a classified result ({"note", "roots", "nodes"}); None for an invalid case."""
    if not result.ok:
        return None
    g = result.graph
    b = _Builder(g, view)
    conclusions = [c for c in g.subjects(PROV.wasGeneratedBy, None) if view.rule_of(g, c) is not None]
    order = {k.cls: i for i, k in enumerate(view.kb.result_kinds.all)}

    def rank(c):
        kind = _kind_of(g, view, c)
        return (order.get(kind.cls, len(order)) if kind is not None else len(order), conclusion_label(g, view, c), str(c))
    ordered = sorted(conclusions, key=rank)
    for c in ordered:
        b.conclusion(c)
    used = {p for n in b.nodes.values() if n.get("kind") == "conclusion" for p in n["premises"]}
    roots = [str(c) for c in ordered if b.nodes[str(c)]["shown_as"] is not None or str(c) not in used]
    return {"note": PROOF_NOTE, "roots": roots, "nodes": {k: b.nodes[k] for k in sorted(b.nodes)}}

