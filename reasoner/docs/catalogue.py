"""The rule catalogue (rules.html and rules.md): rule -> guideline statements -> references, with
each rule's SPARQL and its tests (the rule test manifest entries naming it by dt:rule); every statement, implemented or informational; the thresholds; the references.
Gathered here from the knowledge base; laid out by templates/rules.html.j2 and rules.md.j2."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from ..kb.knowledge_base import KnowledgeBase
from ..kb.manifests import anchor_for, read_manifest
from ..kb.paths import DEFAULT_MANIFEST
from ..kb.rule_files import RuleFile
from ..namespaces import DORSUM, RULE_BASE
from .render import render
from .terms import first, instances, label, text, texts


@dataclass
class RefUse:
    relation: str          # how the reference bears on the statement (label of the property)
    ref: URIRef
    label: str
    summary: str           # its citation, or label, and verification status


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
    tests: list[str]       # the manifest entries naming the rule by dt:rule, as manifest.ttl#name


@dataclass
class ThresholdDoc:
    iri: URIRef
    label: str
    value: str
    unit: str
    definition: str
    sources: list[tuple[URIRef, str]]   # (reference, its label)
    verification: str
    note: str


@dataclass
class ReferenceDoc:
    iri: URIRef
    label: str
    summary: str
    note: str


@dataclass
class Catalogue:
    rules: list[RuleDoc]
    statements: dict[URIRef, StatementDoc]
    references: list[ReferenceDoc]
    thresholds: list[ThresholdDoc]


def rule_slug(rule: RuleFile) -> str:
    return rule.iri[len(RULE_BASE):] if rule.iri.startswith(RULE_BASE) else rule.stem


def _source_relations(g: Graph) -> list:
    """dcterms:source plus every sub-property of dorsum:sourceRelation: statement -> reference."""
    subs = set(g.transitive_subjects(RDFS.subPropertyOf, DORSUM.sourceRelation)) - {DORSUM.sourceRelation}
    return [DCTERMS.source] + sorted(subs, key=str)


def _ref_summary(g: Graph, ref) -> str:
    cite = first(g, ref, DCTERMS.bibliographicCitation)
    ver = ", ".join(texts(g, ref, DORSUM.verification))
    return (str(cite) if cite else label(g, ref)) + (f" [{ver}]" if ver else "")


def _statement(g: Graph, s, relations, rules: list[str]) -> StatementDoc:
    refs = [RefUse("source" if p == DCTERMS.source else label(g, p), r, label(g, r), _ref_summary(g, r))
            for p in relations for r in sorted(g.objects(s, p), key=str)]
    kinds = sorted(label(g, t) for t in g.objects(s, RDF.type) if t != OWL.NamedIndividual)
    return StatementDoc(
        iri=s, label=label(g, s), kind=", ".join(kinds) or "(not in the knowledge base)",
        text=text(g, s, DORSUM.statementText), section=text(g, s, DORSUM.articleSection),
        citations=texts(g, s, DORSUM.articleCitation), strength=", ".join(texts(g, s, DORSUM.strength)),
        status=", ".join(texts(g, s, DORSUM.status)), verification=", ".join(texts(g, s, DORSUM.verification)),
        locators=texts(g, s, DORSUM.primarySourceLocator), note=text(g, s, SKOS.editorialNote),
        refs=refs, rules=sorted(rules))


def _threshold(g: Graph, t) -> ThresholdDoc:
    return ThresholdDoc(
        iri=t, label=label(g, t), value=" ".join(texts(g, t, DORSUM.thresholdValue)),
        unit=" ".join(texts(g, t, DORSUM.unit)), definition=text(g, t, SKOS.definition),
        sources=[(r, label(g, r)) for r in sorted(g.objects(t, DCTERMS.source), key=str)],
        verification=", ".join(texts(g, t, DORSUM.verification)), note=text(g, t, SKOS.editorialNote))


def rule_tests(kb: KnowledgeBase) -> dict[str, list[str]]:
    """rule IRI -> the manifest entries naming it by dt:rule (manifest file#name), from the
    knowledge base's rule test manifests; none when it has no manifests."""
    path = kb.paths.root / DEFAULT_MANIFEST
    out: dict[str, list[str]] = {}
    if not path.is_file():
        return out
    for e in read_manifest(path, anchor_for(path, kb.paths.root)):
        for r in e.rules:
            out.setdefault(r, []).append(e.label)
    return {r: sorted(names) for r, names in out.items()}


def catalogue(kb: KnowledgeBase) -> Catalogue:
    g = kb.graph
    relations = _source_relations(g)
    implemented: dict = {}
    rules = []
    tests = rule_tests(kb)
    for rule in kb.rules:
        slug = rule_slug(rule)
        rules.append(RuleDoc(rule, slug, [URIRef(s) for s in rule.implements], tests.get(rule.iri, [])))
        for s in rule.implements:
            implemented.setdefault(URIRef(s), []).append(slug)
    stmts = set(instances(g, DORSUM.GuidelineStatement)) | set(implemented)
    docs = {s: _statement(g, s, relations, implemented.get(s, [])) for s in sorted(stmts, key=str)}
    refs = sorted({u.ref for d in docs.values() for u in d.refs} | set(instances(g, DORSUM.Reference)), key=str)
    references = [ReferenceDoc(r, label(g, r), _ref_summary(g, r), text(g, r, SKOS.editorialNote)) for r in refs]
    return Catalogue(rules, docs, references, [_threshold(g, t) for t in instances(g, DORSUM.Threshold)])


def catalogue_html(kb: KnowledgeBase, cat: Catalogue) -> str:
    return render("rules.html.j2", title="dorsum rule catalogue", kb=kb, cat=cat)


def catalogue_markdown(kb: KnowledgeBase, cat: Catalogue) -> str:
    return render("rules.md.j2", kb=kb, cat=cat)
