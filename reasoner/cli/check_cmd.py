"""`dorsum check`: load, reason over (HermiT), validate (shapes) and QA the knowledge base."""

from __future__ import annotations

import sys

import click

from . import main
from .options import kb_option


@main.command("check")
@kb_option
@click.option("--no-reasoner", is_flag=True, help="Skip HermiT (no Java needed).")
@click.option("--fail-on", type=click.Choice(["ERROR", "WARN"]), default="ERROR", show_default=True,
              help="Lowest severity that makes the check fail.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "tsv"]), default="text", show_default=True,
              help="text: a summary and a line per problem; json: one object (knowledge base, problems, ok); "
                   "tsv: a header and one row per problem (severity, section, node, message), like ROBOT report.")
def check(kb_root, no_reasoner, fail_on, fmt):
    """Check the knowledge base and print a short report; exit 1 on a problem."""
    from ..qa.check import SEVERITIES, run_check

    report = run_check(kb_root, reasoner=not no_reasoner)
    out = click.echo
    failing = {"ERROR"} if fail_on == "ERROR" else {"ERROR", "WARN"}
    problems = sorted(report.problems, key=lambda p: SEVERITIES.index(p.severity))  # stable: each severity in found order
    failed = any(p.severity in failing for p in problems)
    if fmt == "tsv":
        def cell(text: str) -> str:  # one row per problem: no tab or line break inside a cell
            return " ".join(str(text).replace("\t", " ").split())
        out("severity\tsection\tnode\tmessage")
        for p in problems:
            out("\t".join(cell(x) for x in (p.severity, p.section, p.node, p.message)))
        sys.exit(1 if failed else 0)
    if fmt == "json":
        import json
        kb = report.kb
        doc = {"knowledge_base": None if kb is None else {"root": str(kb.paths.root), "version": kb.version,
                                                         "sha256": kb.sha256, "counts": kb.counts()},
               "hermit": report.hermit, "fail_on": fail_on, "ok": not failed,
               "problems": [{"severity": p.severity, "section": p.section, "node": p.node, "message": p.message}
                            for p in problems]}
        out(json.dumps(doc, indent=2, ensure_ascii=False))
        sys.exit(1 if failed else 0)
    if report.kb is not None:
        kb = report.kb
        c = kb.counts()
        out(f"knowledge base {kb.paths.root}")
        out(f"  version  {kb.version}")
        out(f"  sha256   {kb.sha256}")
        out(f"  counts   {c['classes']} classes, {c['statements']} statements, {c['references']} references, "
            f"{c['rules']} rules, {c['checks']} QA checks, {c['triples']} triples")
        out(f"  HermiT   {report.hermit}")
    for p in problems:
        out(p.line())
    summary = ", ".join(f"{sum(p.severity == sev for p in problems)} {sev.lower()}" for sev in SEVERITIES)
    if failed:
        out(f"FAILED: {summary}")
        sys.exit(1)
    out(f"OK: {summary}")
