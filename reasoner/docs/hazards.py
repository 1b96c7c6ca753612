"""The clinical hazard log (ontology/hazards.ttl) as a Markdown page for `dorsum docs`: each hazard
with its cause, effect, the controls that mitigate it and the tests that show they work. Read from
the knowledge base only, so the page and `dorsum coverage` can never disagree on what the log says;
laid out by templates/hazards.md.j2."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from ..namespaces import DORSUM
from .render import render


@dataclass
class Control:
    name: str              # local name of the rule, shape or check
    label: str
    rule_file: str


@dataclass
class Hazard:
    code: str
    label: str
    cause: str
    effect: str
    controls: list[Control]
    tests: list[str]


def _text(g, node, prop) -> str:
    value = g.value(node, prop)
    return " ".join(str(value).split()) if value is not None else ""


def _control(g, iri: str) -> Control:
    node = URIRef(iri)
    return Control(iri.rsplit("/", 1)[-1], _text(g, node, RDFS.label), _text(g, node, DORSUM.ruleFile))


def hazards(g) -> list[Hazard]:
    found = sorted(g.subjects(RDF.type, DORSUM.Hazard), key=lambda h: (str(g.value(h, SKOS.notation) or ""), str(h)))
    return [Hazard(_text(g, h, SKOS.notation).upper(), _text(g, h, RDFS.label), _text(g, h, DORSUM.hazardCause),
                   _text(g, h, DORSUM.hazardEffect),
                   [_control(g, str(c)) for c in sorted(g.objects(h, DORSUM.controlledBy), key=str)],
                   sorted(str(t) for t in g.objects(h, DORSUM.verifiedBy)))
            for h in found]


def hazards_markdown(kb) -> str:
    return render("hazards.md.j2", kb=kb, hazards=hazards(kb.graph))
