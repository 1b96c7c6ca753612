"""The clinical hazard log (ontology/hazards.ttl) as a Markdown page for `dorsum docs`: each hazard
with its cause, effect, the controls that mitigate it and the tests that show they work. Read from
the knowledge base only, so the page and `dorsum coverage` can never disagree on what the log says."""

from __future__ import annotations

from rdflib import URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from .. import DISCLAIMER
from ..namespaces import DORSUM

HAZARDS_MD = "hazards.md"


def _text(g, node, prop) -> str:
    value = g.value(node, prop)
    return " ".join(str(value).split()) if value is not None else ""


def _control(g, iri: str) -> str:
    node = URIRef(iri)
    label = g.value(node, RDFS.label)
    rule_file = g.value(node, DORSUM.ruleFile)
    where = f" (`{rule_file}`)" if rule_file is not None else ""
    return f"`{iri.rsplit('/', 1)[-1]}`" + (f": {' '.join(str(label).split())}" if label is not None else "") + where


def hazards_markdown(kb) -> str:
    g = kb.graph
    hazards = sorted(g.subjects(RDF.type, DORSUM.Hazard), key=lambda h: (str(g.value(h, SKOS.notation) or ""), str(h)))
    lines = ["# dorsum clinical hazard log", "",
             f"Knowledge base {kb.version} (SHA-256 `{kb.sha256}`). Generated from `ontology/hazards.ttl`: do not edit.",
             "`dorsum coverage` fails when a hazard has no control or a test named here is not there.", "",
             f"> {DISCLAIMER}", ""]
    for h in hazards:
        code = _text(g, h, SKOS.notation).upper()
        lines += [f"## {code} {_text(g, h, RDFS.label)}", "",
                  f"- **Cause:** {_text(g, h, DORSUM.hazardCause)}",
                  f"- **Effect:** {_text(g, h, DORSUM.hazardEffect)}",
                  "- **Controls:**"]
        lines += [f"  - {_control(g, str(c))}" for c in sorted(g.objects(h, DORSUM.controlledBy), key=str)]
        lines.append("- **Tests:**")
        lines += [f"  - `{t}`" for t in sorted(str(t) for t in g.objects(h, DORSUM.verifiedBy))]
        lines.append("")
    return "\n".join(lines)
