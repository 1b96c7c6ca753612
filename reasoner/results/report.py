"""The human-readable report of `dorsum explain` (rich on a terminal, plain text otherwise).

Everything printed comes from the result graph and the knowledge base: conclusions, then the proof
tree of each (conclusion <- rule <- premises <- input findings), then the statements and
references behind them, then the disclaimer, once.
"""

from __future__ import annotations

from rdflib import URIRef
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .. import DISCLAIMER
from ..namespaces import DORSUM
from .proof import build_proof

def proof_lines(proof: dict) -> list[str]:
    """The proof DAG as indented lines (rich markup): each conclusion printed in full the first time,
    numbered, and named by its number ("see [2]") wherever else it is a premise."""
    nodes, numbers, lines = proof["nodes"], {}, []

    def walk(key: str, depth: int, prefix: str) -> None:
        n, pad = nodes[key], "    " * depth
        if key in numbers:
            lines.append(f"{pad}{prefix}[dim]see[/dim] [{numbers[key]}] {escape(n['label'])}")
            return
        numbers[key] = len(numbers) + 1
        where = [n["evidence_status"]] + ([f"pathway {n['pathway']}"] if n.get("pathway") else [])
        lines.append(f"{pad}{prefix}[bold]\\[{numbers[key]}] {escape(n['label'])}[/bold] "
                     f"[dim]{escape('(' + ', '.join(where) + ')')}[/dim]")
        inner = "    " * (depth + 1)
        if n["rule"]:
            rule = nodes[n["rule"]]
            lines.append(f"{inner}[bold]rule[/bold] {escape(rule['slug'])}: {escape(rule['label'])}")
        for s in n["statements"]:
            lines.append(f"{inner}[dim]cites[/dim] {escape(nodes[s]['slug'])} [dim]({nodes[s]['evidence_status']})[/dim]")
        for s in n["departs_from"]:
            lines.append(f"{inner}[yellow]departs from[/yellow] {escape(nodes[s]['slug'])} [dim](the article's "
                         f"version, recorded as a conflict)[/dim]")
        for text in n["because"]:
            lines.append(f"{inner}[green]because[/green] {escape(text)}")
        for f in n["inputs"]:
            lines.append(f"{inner}[green]input[/green] {escape(nodes[f]['label'])}")
        for p in n["premises"]:
            walk(p, depth + 1, "[cyan]premise[/cyan] ")

    for root in proof["roots"]:
        if root not in numbers:  # a shown conclusion already printed as a premise is not repeated
            walk(root, 0, "")
    return lines


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

    proof = build_proof(result, view)
    console.print(f"[bold]Proof[/bold] ({escape(proof['note'] + '; [n] numbers a step, see [n] refers back to it')})")
    for line in proof_lines(proof):
        console.print(line)

    conflicts: dict = {}
    for item in [i for k in kinds.shown for i in ([j[k.json_key]] if k.single else j[k.json_key]) if i]:
        for conflict in item.get("conflicts", ()):
            conflicts[conflict["statement"]] = conflict["note"]
    if conflicts:
        console.print("[bold]Recorded conflicts[/bold] (the article against a verified source; the rules follow the source)")
        for stmt, note in sorted(conflicts.items()):
            console.print(escape(f"  - {stmt.rsplit('/', 1)[-1]}: {note}"))
    console.print("[bold]Statements and references[/bold]")
    statements = sorted(k for k, n in proof["nodes"].items() if n["kind"] == "statement")
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
