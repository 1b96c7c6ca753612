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
def check(kb_root, no_reasoner, fail_on):
    """Check the knowledge base and print a short report; exit 1 on a problem."""
    from ..check import run_check

    report = run_check(kb_root, reasoner=not no_reasoner)
    out = click.echo
    if report.kb is not None:
        kb = report.kb
        c = kb.counts()
        out(f"knowledge base {kb.paths.root}")
        out(f"  version  {kb.version}")
        out(f"  sha256   {kb.sha256}")
        out(f"  counts   {c['classes']} classes, {c['statements']} statements, {c['references']} references, "
            f"{c['rules']} rules, {c['checks']} QA checks, {c['triples']} triples")
        out(f"  HermiT   {report.hermit}")
    failing = {"ERROR"} if fail_on == "ERROR" else {"ERROR", "WARN"}
    by_sev = {s: [p for p in report.problems if p.severity == s] for s in ("ERROR", "WARN", "INFO")}
    for sev in ("ERROR", "WARN", "INFO"):
        for p in by_sev[sev]:
            out(p.line())
    n_fail = sum(len(by_sev[s]) for s in failing)
    summary = ", ".join(f"{len(v)} {k.lower()}" for k, v in by_sev.items())
    if n_fail:
        out(f"FAILED: {summary}")
        sys.exit(1)
    out(f"OK: {summary}")
