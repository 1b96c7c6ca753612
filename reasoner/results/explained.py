"""`dorsum explain` output: the result JSON with its proof DAG (results/proof.py), as JSON or as one
self-contained HTML page (templates/explain.html.j2). The JSON is what the workbench page renders."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .. import DISCLAIMER
from .proof import build_proof

TEMPLATES = Path(__file__).resolve().parent / "templates"


def explained(result, view) -> dict:
    """The result's JSON with a "proof" key (null for an invalid case): one structure for the
    command line, the endpoint (POST /classify?proof=true) and the page."""
    return dict(result.json, proof=build_proof(result, view))


def explain_html(items: list[dict]) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html.j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    return env.get_template("explain.html.j2").render(cases=items, disclaimer=DISCLAIMER)
