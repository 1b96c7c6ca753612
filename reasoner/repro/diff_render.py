"""The `dorsum diff` report for a person: both sides, the files and rules that differ, and a table
per changed case with the rules responsible."""

from __future__ import annotations


def _local(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _fmt_item(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, dict):
        keys = list(v)
        head, rest = v[keys[0]], [f"{k}={v[k]}" for k in keys[1:] if v[k] is not None]
        return f"{head} ({', '.join(rest)})" if rest else str(head)
    return str(v)


def _fmt_value(v, marks: dict | None = None) -> str:
    """A field value, an item a line; with marks (item -> "-" gone, "+" new, "~" changed) every
    line starts with its mark or a blank."""
    items = v if isinstance(v, list) else ([] if v is None else [v])
    if not items:
        return "(none)"
    if marks is None:
        return "\n".join(_fmt_item(x) for x in items)
    keyed = [(str(next(iter(x.values())) if isinstance(x, dict) else x), x) for x in items]
    return "\n".join(f"{marks.get(k, ' ')} {_fmt_item(x)}" for k, x in keyed)


def render_table(report: dict, console) -> None:
    """The report for a person: both sides, the files and rules that differ, a row per changed
    field of each changed case with the rules responsible (* marks a rule whose file changed)."""
    from rich.markup import escape
    from rich.table import Table

    def side(s: dict) -> str:
        where = f"{s['ref']} ({s['commit'][:12]})" if s.get("kind") == "git" else s.get("root", "")
        return f"{escape(where)}: version {escape(s['version'])}, sha256 {s['sha256'][:16]}..."

    console.rule("dorsum diff")
    console.print(f"[bold]base[/bold] {side(report['base'])}")
    console.print(f"[bold]head[/bold] {side(report['head'])}")
    kf = report["kb_files"]
    if not any(kf.values()):
        console.print("knowledge-base files: identical")
    else:
        console.print(f"knowledge-base files: {len(kf['changed'])} changed, {len(kf['added'])} added, "
                      f"{len(kf['removed'])} removed")
        for kind in ("changed", "added", "removed"):
            for p in kf[kind]:
                console.print(f"  {kind:8} {escape(p)}")
    if report["rules_changed"]:
        console.print("rule files changed:")
        for r in report["rules_changed"]:
            notes = [f"{k}: {v['before']} -> {v['after']}" for k, v in r.get("header", {}).items()]
            if r.get("query_changed"):
                notes.append("query changed")
            extra = f" ({'; '.join(notes)})" if notes else ""
            console.print(f"  {r['change']:8} {escape(_local(r['rule']))}  {escape(r['file'])}{escape(extra)}")
    s = report["summary"]
    console.print(f"[bold]cases: {s['cases']}, {s['changed']} changed, {s['unchanged']} unchanged; invalid: "
                  f"{s['invalid']['base']} on base, {s['invalid']['head']} on head[/bold]")
    if not report["cases"]:
        return
    console.print("before/after: - gone, + new, ~ changed; responsible: each rule (the side it fired on) "
                  "and the statements it implements; * its file changed")
    for case in report["cases"]:
        table = Table(title=escape(case["case"]), title_justify="left", title_style="bold", show_lines=True,
                      expand=True, width=min(console.width, 140))
        table.add_column("field", overflow="fold")
        table.add_column("before", overflow="fold", ratio=2)
        table.add_column("after", overflow="fold", ratio=2)
        table.add_column("responsible", overflow="fold", ratio=3)
        for ch in case["changes"]:
            if ch["field"] == "status":
                before = "\n".join([ch["before"], *ch["errors"]["before"]])
                after = "\n".join([ch["after"], *ch["errors"]["after"]])
            elif ch["field"] == "errors":
                before, after = _fmt_value(ch["before"]), _fmt_value(ch["after"])
            else:
                changed = {c["item"]: "~" for c in ch["changed"]}
                before = _fmt_value(ch["before"], {**{k: "-" for k in ch["disappeared"]}, **changed})
                after = _fmt_value(ch["after"], {**{k: "+" for k in ch["appeared"]}, **changed})
            resp = []
            for r in ch["responsible"]:
                mark = "*" if r["rule_file_changed"] else ""
                resp.append(f"{mark}{_local(r['rule'])} ({'/'.join(r['sides'])})")
                resp.extend(f"  {_local(x)}" for x in r["statements"])
            table.add_row(ch["field"], escape(before), escape(after), escape("\n".join(resp)) or "-")
        console.print(table)
    from .. import DISCLAIMER
    console.print(f"\n[italic]{escape(DISCLAIMER)}[/italic]")
