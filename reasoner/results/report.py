"""The human-readable report of `dorsum explain` (rich on a terminal, plain text otherwise).

Everything printed comes from the result graph and the knowledge base: conclusions, then the proof
tree of each (conclusion <- rule <- premises <- input findings), then the statements and
references behind them, then the disclaimer, once.
"""

from __future__ import annotations

from rdflib import URIRef
from rdflib.namespace import RDF, RDFS
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from .. import DISCLAIMER
from ..namespaces import DORSUM, PROV

def _conclusion_label(g, view, c) -> str:
    for kind in view.kb.result_kinds.all:
        if (c, RDF.type, kind.cls) in g:
            if kind.value is None:
                return kind.report_label
            concept = g.value(c, kind.value)
            if kind.named_by_path:
                return f"{kind.report_label}: {view.kbg.value(concept, DORSUM.jsonPath) or view.slug(concept)}"
            days = g.value(c, DORSUM.withinDays)
            extra = f" (within {int(float(days))} days)" if days is not None else ""
            return f"{kind.report_label}: {view.slug(concept)}{extra}"
    return str(c)


def _proof(tree: Tree, g, view, c, seen: set) -> None:
    rule = view.rule_of(g, c)
    if rule is None:
        return
    title = view.kbg.value(URIRef(rule), RDFS.label)
    branch = tree.add(f"[bold]rule[/bold] {escape(rule.rsplit('/', 1)[-1])}: {escape(str(title))}")
    for stmt in sorted(str(x) for x in g.objects(c, DORSUM.supportedBy)):
        status = view.evidence_status([stmt])
        branch.add(f"[dim]cites[/dim] {stmt.rsplit('/', 1)[-1]} [dim]({status})[/dim]")
    for text in sorted(g.objects(c, DORSUM.becauseText), key=str):
        branch.add(f"[green]because[/green] {escape(str(text))}")
    for p in sorted(g.objects(c, PROV.wasDerivedFrom), key=str):
        if (p, RDF.type, DORSUM.InputFinding) in g:
            branch.add(f"[green]input[/green] {escape(str(g.value(p, RDFS.label)))}")
        elif p not in seen:
            sub = branch.add(f"[cyan]premise[/cyan] {escape(_conclusion_label(g, view, p))}")
            _proof(sub, g, view, p, seen | {p})


def render_report(result, clf, console: Console | None = None) -> None:
    if console is None:
        console = Console(highlight=False)
        if not console.is_terminal:  # plain text for files and pipes: wide enough not to crop
            console = Console(highlight=False, width=160, no_color=True)
    view = clf.view
    j = result.json
    console.rule(f"dorsum explain: {j['case']}")
    console.print(f"knowledge base {j['knowledge_base']['version']} (sha256 {j['knowledge_base']['sha256'][:16]}...)")
    if not result.ok:
        console.print(f"[bold red]INVALID[/bold red]: no rule ran on this case. {len(j['errors'])} problem(s):")
        for e in j["errors"]:
            value = "" if e["value"] is None else f" = {e['value']}"
            console.print(escape(f"  - {e['path'] or '(case)'}{value}: {e['message']}"))
        console.print(f"\n[italic]{DISCLAIMER}[/italic]")
        return
    kinds = view.kb.result_kinds
    console.print(f"age groups: {', '.join(j['age_groups']) or 'none'}")
    console.print(f"pathways: {', '.join(j['pathways']) or 'none (no care pathway applies)'}")
    for kind in kinds.shown:
        u = j[kind.json_key] if kind.single else None
        if not u:
            continue
        days = f", within {u['within_days']} days" if u.get("within_days") is not None else ""
        console.print(f"[bold]{kind.report_label.upper()}: {u['label']}[/bold]{days}"
                      + (f" (strength: {u['strength']})" if u.get("strength") else "")
                      + escape(f" [{u['evidence_status']}" + (f", pathway {u['pathway']}]" if u.get("pathway") else "]")))

    table = Table(title="Conclusions", show_lines=False)
    for col in ("kind", "what", "within days", "strength", "pathway", "evidence", "rule"):
        table.add_column(col)
    for kind in kinds.lists:
        if kind.named_by_path:
            continue
        key = kind.json_key
        for item in j[key]:
            table.add_row(key.replace("_", " "), item["label"], str(item.get("within_days") or ""),
                          item.get("strength", ""), item.get("pathway") or "", item["evidence_status"],
                          item["rule"].rsplit("/", 1)[-1])
    console.print(table)
    for kind in kinds.lists:
        if kind.named_by_path and j[kind.json_key]:
            console.print("[bold]Missing findings[/bold] (unknown, not absent):")
            for m in j[kind.json_key]:
                console.print(escape(f"  - {m[kind.item_key]}: {m['why']}"))

    g = result.graph
    tree = Tree("[bold]Proof tree[/bold] (conclusion <- rule <- premises <- input findings)")
    conclusions = sorted((c for c in g.subjects(PROV.wasGeneratedBy, None) if view.rule_of(g, c)),
                         key=lambda c: _conclusion_label(g, view, c))
    for c in conclusions:
        node = tree.add(f"[bold]{escape(_conclusion_label(g, view, c))}[/bold]")
        _proof(node, g, view, c, {c})
    console.print(tree)

    conflicts: dict = {}
    for item in [i for k in kinds.shown for i in ([j[k.json_key]] if k.single else j[k.json_key]) if i]:
        for conflict in item.get("conflicts", ()):
            conflicts[conflict["statement"]] = conflict["note"]
    if conflicts:
        console.print("[bold]Recorded conflicts[/bold] (the article against a verified source; the rules follow the source)")
        for stmt, note in sorted(conflicts.items()):
            console.print(escape(f"  - {stmt.rsplit('/', 1)[-1]}: {note}"))
    console.print("[bold]Statements and references[/bold]")
    statements = sorted({str(s) for c in conclusions for s in g.objects(c, DORSUM.supportedBy)})
    for s in statements:
        text = view.kbg.value(URIRef(s), DORSUM.statementText)
        section = view.kbg.value(URIRef(s), DORSUM.articleSection)
        cites = sorted(int(x) for x in view.kbg.objects(URIRef(s), DORSUM.articleCitation))
        where = f"article section '{section}'" + (f", citation {', '.join(map(str, cites))}" if cites else ", not in the article")
        status = view.evidence_status([s])
        console.print(f"  [bold]{escape(s.rsplit('/', 1)[-1])}[/bold] {escape(f'[{status}]')}: {escape(str(text))} [dim]({escape(where)})[/dim]")
        for ref in view.references_of([s]):
            console.print(escape(f"      - {ref['citation']}"))
    console.print(f"\n[italic]{DISCLAIMER}[/italic]")
