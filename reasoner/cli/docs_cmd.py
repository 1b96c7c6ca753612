"""`dorsum docs`: the ontology reference, rule catalogue and pathway diagram, generated from the KB."""

from __future__ import annotations

import time

import click

from . import main
from .options import kb_option


@main.command("docs")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="build/docs", show_default=True,
              help="Directory to write the documentation into (created if needed).")
@kb_option
def docs_cmd(out_dir, kb_root):
    """Generate the documentation from the knowledge base: ontology reference (pyLODE), rule
    catalogue (HTML and Markdown), pathway diagram (DOT, and SVG when Graphviz's `dot` is
    installed) and an index with the knowledge base's version and SHA-256. Offline and
    deterministic: the same knowledge base gives byte-identical files."""
    from ..docs.site import generate
    from ..kb.knowledge_base import load_kb

    start = time.perf_counter()
    result = generate(out_dir, load_kb(kb_root))
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"wrote {len(result.files)} files to {result.out} ({', '.join(result.files)}) "
               f"in {time.perf_counter() - start:.1f}s; open {result.out / 'index.html'}")
