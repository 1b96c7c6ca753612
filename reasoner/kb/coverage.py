"""Coverage: guideline statements -> the rules implementing them -> the test cases exercising them;
and the clinical hazard log: hazard -> the controls that mitigate it -> the tests that show each works.

A recommendation (or pitfall) with no active rule, or an active rule that no test case makes fire,
is a gap. Informational statements (prevalences, accuracy figures, descriptions) need no rule and
are listed apart. Test cases are the entries of the rule test manifests (tests/manifests/); a rule
is exercised by an entry when it generates at least one of the conclusions of the entry's case. Each
entry also declares the rules it tests (dt:rule, checked closed world by `dorsum test-rules`): the
report lists every rule's declared tests, and a declared rule that is no active rule is a gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from ..namespaces import DORSUM

RECOMMENDATION_TYPES = (DORSUM.RecommendationStatement, DORSUM.PitfallStatement)


@dataclass
class Coverage:
    recommendations: dict = field(default_factory=dict)   # statement -> [active rules]
    informational: list = field(default_factory=list)     # statements
    rules: dict = field(default_factory=dict)             # active rule -> [vignettes]
    declared: dict = field(default_factory=dict)          # rule -> [entries naming it by dt:rule]
    hazards: dict = field(default_factory=dict)           # hazard -> {"controls": [...], "tests": [...], "unknown": [...]}

    @property
    def gaps(self) -> list[str]:
        out = [f"recommendation with no active rule: {s}" for s, rules in sorted(self.recommendations.items()) if not rules]
        out += [f"rule exercised by no test case: {r}" for r, tests in sorted(self.rules.items()) if not tests]
        out += [f"test case names a rule that is not an active rule: {r} (dt:rule of {', '.join(tests)})"
                for r, tests in sorted(self.declared.items()) if r not in self.rules]
        for h, entry in sorted(self.hazards.items()):
            if not entry["controls"]:
                out.append(f"hazard with no control: {h}")
            if not entry["tests"]:
                out.append(f"hazard with no test: {h}")
            out += [f"hazard {h}: control not in the knowledge base: {c}" for c in entry["unknown_controls"]]
            out += [f"hazard {h}: test not found: {t}" for t in entry["unknown"]]
        return out


def compute(classifier, tests: list[tuple[str, Path]], declared: dict | None = None) -> Coverage:
    """tests: (test name, case file) pairs, e.g. the manifest entries' names and actions;
    declared: test name -> the rule IRIs it names (the entries' dt:rule), when read from manifests."""
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
    for name, rules in sorted((declared or {}).items()):
        for rule in rules:
            cov.declared.setdefault(rule, []).append(name)
    cov.hazards = hazard_log(g, {name for name, _ in tests}, Path(classifier.kb.paths.root))
    return cov


def _pytest_exists(node_id: str, root: Path) -> bool:
    """A pytest node id (tests/test_x.py::test_name) names a test function that is there."""
    import ast
    file, _, name = node_id.partition("::")
    path = root / file
    if not name or not path.is_file():
        return False
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name.split("[")[0]
               for n in ast.walk(tree))


def hazard_log(g, manifest_names: set, root: Path) -> dict:
    """hazard IRI -> its controls, the tests that exist and the tests that do not (a manifest entry
    name unknown to the manifests, or a pytest node id whose test function is not there)."""
    out = {}
    for h in sorted(g.subjects(RDF.type, DORSUM.Hazard), key=str):
        controls = sorted(str(c) for c in g.objects(h, DORSUM.controlledBy))
        unknown_controls = [c for c in controls if (URIRef(c), None, None) not in g]
        found, unknown = [], []
        for t in sorted(str(t) for t in g.objects(h, DORSUM.verifiedBy)):
            ok = _pytest_exists(t, root) if "::" in t else t in manifest_names
            (found if ok else unknown).append(t)
        out[str(h)] = {"controls": controls, "tests": found, "unknown": unknown, "unknown_controls": unknown_controls}
    return out


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
        lines += [f"      test    {t}" for t in cov.declared.get(r, [])]
    lines.append(f"Informational statements ({len(cov.informational)}), no rule needed:")
    lines += [f"  {short(s)}  ({label(s)})" for s in cov.informational]
    lines.append(f"Hazard log ({len(cov.hazards)}): hazard -> controls -> tests")
    for h, entry in sorted(cov.hazards.items()):
        code = str(kb_graph.value(URIRef(h), SKOS.notation) or short(h)).upper()
        lines.append(f"  {code} {label(h)}: {len(entry['controls'])} control(s), {len(entry['tests'])} test(s)"
                     + ("" if entry["tests"] and not entry["unknown"] else "  NO TEST" if not entry["tests"] else ""))
        lines += [f"      control {short(c)}" for c in entry["controls"]]
        lines += [f"      test    {t}" for t in entry["tests"]]
        lines += [f"      MISSING {t}" for t in entry["unknown"]]
    gaps = cov.gaps
    lines += [f"GAP {g}" for g in gaps]
    lines.append(f"{'FAILED' if gaps else 'OK'}: {len(gaps)} gap(s); {sum(1 for r in cov.recommendations.values() if r)}"
                 f"/{len(cov.recommendations)} recommendations implemented, "
                 f"{sum(1 for t in cov.rules.values() if t)}/{len(cov.rules)} rules tested, "
                 f"{sum(1 for e in cov.hazards.values() if e['tests'] and not e['unknown'])}/{len(cov.hazards)} hazards tested")
    return "\n".join(lines) + "\n"
