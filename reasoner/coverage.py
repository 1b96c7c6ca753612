"""Coverage: guideline statements -> the rules implementing them -> the test cases exercising them.

A recommendation (or pitfall) with no active rule, or an active rule that no test case makes fire,
is a gap. Informational statements (prevalences, accuracy figures, descriptions) need no rule and
are listed apart. Test cases are the entries of the rule test manifests (tests/manifests/); a rule
is exercised by an entry when it generates at least one of the conclusions of the entry's case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import URIRef
from rdflib.namespace import RDF, RDFS

from .namespaces import DORSUM

RECOMMENDATION_TYPES = (DORSUM.RecommendationStatement, DORSUM.PitfallStatement)


@dataclass
class Coverage:
    recommendations: dict = field(default_factory=dict)   # statement -> [active rules]
    informational: list = field(default_factory=list)     # statements
    rules: dict = field(default_factory=dict)             # active rule -> [vignettes]

    @property
    def gaps(self) -> list[str]:
        out = [f"recommendation with no active rule: {s}" for s, rules in sorted(self.recommendations.items()) if not rules]
        out += [f"rule exercised by no test case: {r}" for r, tests in sorted(self.rules.items()) if not tests]
        return out


def compute(classifier, tests: list[tuple[str, Path]]) -> Coverage:
    """tests: (test name, case file) pairs, e.g. the manifest entries' names and actions."""
    g = classifier.kb.graph
    active = {f.iri for f in classifier.kb.rules if f.status == "active"}
    cov = Coverage()
    for s in sorted({s for t in RECOMMENDATION_TYPES for s in g.subjects(RDF.type, t)}, key=str):
        if g.value(s, DORSUM.status) != DORSUM["status-active"]:
            continue
        cov.recommendations[str(s)] = sorted(str(r) for r in g.subjects(DORSUM.implements, s) if str(r) in active)
    cov.informational = sorted(str(s) for s in g.subjects(RDF.type, DORSUM.InformationalStatement))
    cov.rules = {r: [] for r in sorted(active)}
    for name, path in tests:
        for ci in classifier.inputs([path]):
            if ci.graph is None or classifier.validate(ci):
                continue
            for rule in sorted(set(classifier.engine.derive(ci.graph).generated_by.values())):
                cov.rules.setdefault(rule, []).append(name)
    return cov


def render(cov: Coverage, kb_graph) -> str:
    label = lambda iri: str(kb_graph.value(URIRef(iri), RDFS.label) or "")  # noqa: E731
    short = lambda iri: iri.rsplit("/", 1)[-1]  # noqa: E731
    lines = [f"Recommendations and pitfalls ({len(cov.recommendations)}): statement -> rules"]
    for s, rules in sorted(cov.recommendations.items()):
        lines.append(f"  {short(s)}  ({label(s)})")
        lines += [f"      <- {short(r)}" for r in rules] or ["      <- NO RULE"]
    lines.append(f"Rules ({len(cov.rules)}): rule -> test cases that make it fire")
    for r, tests in sorted(cov.rules.items()):
        lines.append(f"  {short(r)}: {len(tests)} test case(s)" + ("" if tests else "  NO TEST")
                     + (f", e.g. {tests[0]}" if tests else ""))
    lines.append(f"Informational statements ({len(cov.informational)}), no rule needed:")
    lines += [f"  {short(s)}  ({label(s)})" for s in cov.informational]
    gaps = cov.gaps
    lines += [f"GAP {g}" for g in gaps]
    lines.append(f"{'FAILED' if gaps else 'OK'}: {len(gaps)} gap(s); {sum(1 for r in cov.recommendations.values() if r)}"
                 f"/{len(cov.recommendations)} recommendations implemented, "
                 f"{sum(1 for t in cov.rules.values() if t)}/{len(cov.rules)} rules tested")
    return "\n".join(lines) + "\n"
