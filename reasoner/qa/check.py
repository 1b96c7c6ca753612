"""`dorsum check`: reason over, validate and QA the knowledge base, in the spirit of ROBOT
`reason` + `validate` + `verify`. Each problem is reported with the node or file it concerns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyshacl import validate
from rdflib import BNode, Graph
from rdflib.namespace import RDF

from ..errors import KnowledgeBaseError
from .hermit import JavaMissing, run_hermit
from ..kb.knowledge_base import KnowledgeBase, load_kb
from ..namespaces import SH, SPARQL_PREFIXES

SEVERITIES = ("ERROR", "WARN", "INFO")


@dataclass
class Problem:
    section: str            # "load", "hermit", "shapes", or the QA check's name
    severity: str           # ERROR, WARN or INFO
    node: str               # the node or file concerned
    message: str

    def line(self) -> str:
        return f"{self.severity:5} {self.section}: {self.node}: {self.message}"


@dataclass
class CheckReport:
    kb: KnowledgeBase | None
    problems: list[Problem] = field(default_factory=list)
    hermit: str = "not run"
    skipped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "ERROR" for p in self.problems)


def shape_problems(data: Graph, shapes: Graph) -> list[Problem]:
    conforms, results, _ = validate(data, shacl_graph=shapes, inference="none",
                                    advanced=True, allow_warnings=True)
    if conforms:
        return []
    problems = []
    for res in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(res, SH.focusNode)
        path = results.value(res, SH.resultPath)
        sev = results.value(res, SH.resultSeverity)
        msgs = sorted(str(m) for m in results.objects(res, SH.resultMessage))
        severity = {"Violation": "ERROR", "Warning": "WARN"}.get(str(sev).rsplit("#", 1)[-1], "INFO")
        where = f" (path {path.n3(data.namespace_manager)})" if path is not None else ""
        node = focus.n3(data.namespace_manager) if focus is not None else "?"
        problems.append(Problem("shapes", severity, node, (msgs[0] if msgs else "violates a shape") + where))
    return sorted(problems, key=lambda p: (p.node, p.message))


def shape_sparql_problems(shapes: Graph) -> list[Problem]:
    """SHACL-SPARQL in a shapes graph (sh:select, sh:ask, sh:construct: constraints, targets, rules
    and functions, which pySHACL runs with rdflib's engine) that has a SERVICE clause: rdflib would
    send a request for it. Each is named by the shape or node that holds it."""
    from ..sparql_safety import QueryRefused, kb_query_refusal, normalise

    declared = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in shapes.namespaces() if p and "<" not in ns and ">" not in ns)
    for decl in shapes.objects(None, SH.declare):
        prefix, ns = shapes.value(decl, SH.prefix), shapes.value(decl, SH.namespace)
        if prefix is not None and ns is not None and ">" not in str(ns):
            declared += f"PREFIX {prefix}: <{ns}>\n"
    problems = []
    for key in (SH.select, SH.ask, SH.construct):
        for node, text in shapes.subject_objects(key):
            try:
                why = kb_query_refusal(SPARQL_PREFIXES + declared + normalise(str(text)))
            except QueryRefused as exc:
                why = str(exc)
            if why:
                holder = next((s for s in shapes.subjects(None, node) if not isinstance(s, BNode)), None) \
                    if isinstance(node, BNode) else node
                where = holder.n3(shapes.namespace_manager) if holder is not None else "a blank node"
                problems.append(Problem("load", "ERROR", where, f"its {key.n3(shapes.namespace_manager)} query: {why}"))
    return sorted(problems, key=lambda p: (p.node, p.message))


def qa_problems(kb: KnowledgeBase) -> list[Problem]:
    problems = []
    for check in kb.checks:
        severity = check.header.get("severity", "ERROR").upper()
        rows = kb.graph.query(SPARQL_PREFIXES + check.text)
        for row in rows:
            values = [v for v in row if v is not None]
            node = values[0].n3(kb.graph.namespace_manager) if values else "?"
            detail = " ".join(str(v) for v in values[1:])
            problems.append(Problem(check.stem, severity, node, (check.title + (f": {detail}" if detail else ""))))
    return sorted(problems, key=lambda p: (p.section, p.node, p.message))


def run_check(root=None, reasoner: bool = True) -> CheckReport:
    try:
        kb = load_kb(root)
        kb.graph  # noqa: B018 - force rule headers to load
        kb.kb_shapes, kb.case_shapes, kb.result_shapes  # noqa: B018 - parse errors surface here
    except KnowledgeBaseError as exc:
        return CheckReport(None, [Problem("load", "ERROR", exc.file + (f":{exc.line}" if exc.line else ""), exc.message)])
    report = CheckReport(kb)
    if reasoner:
        try:
            h = run_hermit(kb.graph)
            if not h.consistent:
                report.problems.append(Problem("hermit", "ERROR", "ontology", h.message))
                report.hermit = "inconsistent"
            else:
                report.hermit = "consistent" + (f", {len(h.unsatisfiable)} unsatisfiable" if h.unsatisfiable else ", no unsatisfiable classes")
            for iri in h.unsatisfiable:
                report.problems.append(Problem("hermit", "ERROR", f"<{iri}>", "unsatisfiable class (equivalent to owl:Nothing)"))
        except JavaMissing as exc:
            report.hermit = "skipped"
            report.skipped.append(str(exc))
            report.problems.append(Problem("hermit", "ERROR", "java", str(exc)))
    else:
        report.hermit = "skipped (--no-reasoner)"
    refused = shape_sparql_problems(kb.kb_shapes)
    report.problems += refused or shape_problems(kb.graph, kb.kb_shapes)  # pySHACL would run the SERVICE
    report.problems += qa_problems(kb)
    from .pathway_check import guard_problems
    report.problems += [Problem("pathway-guard", sev, f, msg) for sev, f, msg in guard_problems(kb.rules)]
    report.problems += isolation_problems(kb)
    return report


def isolation_problems(kb: KnowledgeBase) -> list[Problem]:
    """A query that could join two cases' data makes the engine classify every batch one case at
    a time (batch_isolation): not wrong, but slower, and usually a rule not tied to ?case. Decided
    as the engine decides, from the cached query analyses, without closing the ontology."""
    from rdflib.namespace import RDF, RDFS

    from ..engine.batch_isolation import verdicts
    from ..engine.fixpoint import analyse, engine_queries
    from ..errors import DorsumError

    g = kb.graph

    def kb_states(p, o) -> bool:
        if o is None:
            return (None, p, None) in g
        classes = set(g.transitive_subjects(RDFS.subClassOf, o)) if p == RDF.type else {o}
        return any((None, p, c) in g for c in classes)

    try:
        not_batchable, _ = verdicts({q.iri: analyse(q)[3] for q in engine_queries(kb)}, kb_states)
    except DorsumError as exc:
        return [Problem("engine", "ERROR", "rules", str(exc))]
    return [Problem("batch-isolation", "WARN", f"<{iri}>",
                    f"could join two cases' data ({why}): batches are classified one case at a time (slower); "
                    "tie every pattern to ?case")
            for iri, why in sorted(not_batchable.items())]
