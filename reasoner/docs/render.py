"""The pages as Jinja2 templates (templates/) with one style sheet (static/docs.css): Python gathers
what a page shows from the knowledge base, the template lays it out. HTML templates (*.html.j2) are
autoescaped; Markdown ones (*.md.j2) escape with the `md` filter."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from .. import DISCLAIMER
from . import HAZARDS_MD, ONTOLOGY_HTML, PATHWAY_DOT, PATHWAY_SVG, RULES_HTML, RULES_MD
from .terms import anchor, local

HERE = Path(__file__).resolve().parent


def md(text) -> str:
    """Text with the Markdown characters that would change its meaning escaped."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html.j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(md=md, anchor=anchor, local=local)
    env.globals.update(
        disclaimer=DISCLAIMER, css=Markup((HERE / "static" / "docs.css").read_text(encoding="utf-8").strip()),
        ONTOLOGY_HTML=ONTOLOGY_HTML, RULES_HTML=RULES_HTML, RULES_MD=RULES_MD, PATHWAY_DOT=PATHWAY_DOT,
        PATHWAY_SVG=PATHWAY_SVG, HAZARDS_MD=HAZARDS_MD)
    return env


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)
