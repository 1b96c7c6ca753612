"""Documentation generated from the knowledge base, never handwritten (`dorsum docs`).

Five artefacts, so a reviewer reads what the engine runs rather than a description of it that can
drift: an ontology reference (pyLODE, ontology.py), a rule catalogue (HTML and Markdown: rule ->
statements -> references, with the SPARQL; catalogue.py), a pathway diagram (findings -> rules ->
outcomes, as DOT and, when Graphviz's `dot` is installed, SVG; pathway.py) and one a care pathway
(pathway-<slug>.dot/.svg, small enough to read; pathway_views.py), the clinical hazard log
(hazards.py) and an index naming the knowledge base's version and SHA-256. The pages are Jinja2
templates in templates/ (render.py).

Everything is read from the KB graph and the rule files; no clinical term is written here. Output
is deterministic (sorted, no timestamps) and offline: owl:imports are never followed, no page loads
anything from the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..kb.knowledge_base import KnowledgeBase, load_kb
from . import HAZARDS_MD, INDEX_HTML, ONTOLOGY_HTML, PATHWAY_DOT, PATHWAY_SVG, RULES_HTML, RULES_MD
from .catalogue import catalogue, catalogue_html, catalogue_markdown
from .hazards import hazards_markdown
from .ontology import ontology_html
from .pathway import pathway, pathway_dot, render_svg
from .pathway_views import PathwayDiagram, pathway_diagrams
from .render import render


@dataclass
class DocsResult:
    out: Path
    files: list[str]
    svg: bool
    notes: list[str] = field(default_factory=list)


def diagram_file(d: PathwayDiagram, ext: str) -> str:
    """The file a pathway's own diagram is written to: pathway-<slug>.dot or .svg."""
    return f"pathway-{d.slug}.{ext}"


def index_html(kb: KnowledgeBase, svg: bool, diagrams: list[PathwayDiagram] = ()) -> str:
    views = [{"label": d.label, "slug": d.slug, "dot": diagram_file(d, "dot"), "svg": diagram_file(d, "svg"),
              "rules": len(d.rules), "nodes": d.nodes, "edges": d.edges} for d in diagrams]
    return render("index.html.j2", title="dorsum knowledge-base documentation", kb=kb, counts=kb.counts(), svg=svg,
                  diagrams=views)


def generate(out: str | Path, kb: KnowledgeBase | None = None, svg: bool = True) -> DocsResult:
    """Write every artefact into `out` (created if needed) and return what was written."""
    kb = kb or load_kb()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cat = catalogue(kb)
    dot_text = pathway_dot(kb, pathway(kb))
    svg_bytes = render_svg(dot_text) if svg else None
    diagrams = pathway_diagrams(kb)
    files = {
        ONTOLOGY_HTML: ontology_html(kb),
        RULES_HTML: catalogue_html(kb, cat),
        RULES_MD: catalogue_markdown(kb, cat),
        PATHWAY_DOT: dot_text,
        INDEX_HTML: index_html(kb, svg_bytes is not None, diagrams),
        HAZARDS_MD: hazards_markdown(kb),
    }
    files.update({diagram_file(d, "dot"): d.dot for d in diagrams})
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8", newline="\n")
    notes = []
    svgs = {PATHWAY_SVG: svg_bytes}
    svgs.update({diagram_file(d, "svg"): render_svg(d.dot) if svg_bytes is not None else None for d in diagrams})
    for name, data in svgs.items():
        if data is not None:
            (out / name).write_bytes(data)
            files[name] = ""
        else:
            (out / name).unlink(missing_ok=True)   # never leave a stale diagram beside a new .dot
    if svg_bytes is None:
        notes.append("Graphviz 'dot' not found: wrote the pathway .dot files only (install graphviz for the SVGs)")
    return DocsResult(out, sorted(files), svg_bytes is not None, notes)
