"""The workbench page (GET /) and the data it reads, all generated from the knowledge base.

- GET / : the case form (case_form.py: from the case shapes), the result with its proof, and the
  pathway diagrams; the page posts the case to POST /classify?proof=true (the JSON of
  `dorsum explain --format json`) and renders what comes back (static/workbench.js).
- GET /api/case-form : the form as JSON (the same data the page is rendered from).
- GET /api/pathways : one diagram per care pathway (docs/pathway_views.py), as DOT with stable
  node ids, which the page lays out with the vendored Viz.js and highlights from the proof.
- GET /rules.html : the rule catalogue `dorsum docs` writes, generated from the same knowledge base.

Every page is served from this process: nothing loads from another host, and the Content-Security-
Policy (pages.page_headers) says so to the browser. Pages are generated once per knowledge base (kb.memo),
in a thread started when the server starts (never on the event loop); the diagrams are also cached on disk.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from concurrent.futures import Future
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .. import DISCLAIMER
from .case_form import case_form
from .pages import page_headers

TEMPLATES = Path(__file__).resolve().parent / "templates"
def _number(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def page_config(kb) -> dict:
    """What the page's script needs to know of the knowledge base: the result's keys in order (so a
    kind of conclusion declared in ontology/results.ttl is shown with no code change)."""
    kinds = [{"key": k.json_key, "label": k.report_label, "item_key": k.item_key, "single": k.single,
              "named_by_path": k.named_by_path} for k in kb.result_kinds.shown]
    return {"kinds": kinds, "knowledge_base": {"version": kb.version, "sha256": kb.sha256}}


def workbench_html(kb, ctx) -> str:
    form = case_form(kb, ctx)
    top = sorted([*form["groups"], *(f for f in form["fields"] if f["kind"] == "choices")],
                 key=lambda x: (x["order"], x["name"]))
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html.j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["number"] = _number
    return env.get_template("workbench.html.j2").render(
        form=form, top_items=top, kb=kb, disclaimer=DISCLAIMER, config=page_config(kb), default_id="workbench-case")


def pathways_json(kb) -> list[dict]:
    from ..docs.pathway_views import pathway_diagrams

    return [{"slug": d.slug, "label": d.label, "dot": d.dot, "rules": list(d.rules), "nodes": d.nodes, "edges": d.edges}
            for d in pathway_diagrams(kb)]


def rules_html(kb) -> str:
    from ..docs.catalogue import catalogue, catalogue_html

    return catalogue_html(kb, catalogue(kb))


def _diagram_key(kb) -> str:
    """The disk-cache key of the diagrams: the knowledge base and the code that draws them."""
    from ..docs import pathway, pathway_views

    code = b"".join(Path(m.__file__).read_bytes() for m in (pathway, pathway_views))
    return kb.sha256 + hashlib.sha256(code).hexdigest()


def cached_pathways(kb) -> list[dict]:
    """The diagrams take seconds to derive (every rule's SPARQL is parsed): cached on disk by the
    knowledge base's content and the drawing code, like the engine's start-up work."""
    from ..runtime.cache import cached_json

    return cached_json("pathways", _diagram_key(kb), lambda: pathways_json(kb))


PAGES = {
    "page": lambda clf: workbench_html(clf.kb, clf.ctx),
    "form": lambda clf: case_form(clf.kb, clf.ctx),
    "pathways": lambda clf: cached_pathways(clf.kb),
    "rules": lambda clf: rules_html(clf.kb),
}


def _future(clf, key: str) -> Future:
    """The page `key` of this knowledge base, computed once in a thread of its own (never on the
    event loop, which must keep serving queries meanwhile); callers share the one computation."""
    def start() -> Future:
        fut: Future = Future()

        def run() -> None:
            try:
                fut.set_result(PAGES[key](clf))
            except BaseException as exc:  # handed to whoever awaits the page
                fut.set_exception(exc)
        threading.Thread(target=run, name=f"dorsum-workbench-{key}", daemon=True).start()
        return fut
    return clf.kb.memo(("workbench", key), start)


def add_workbench(app: FastAPI) -> None:
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def warm(a):
        """Start computing the pages as soon as the server is up, so the first visitor does not wait."""
        async with inner(a) as state:
            for key in PAGES:
                _future(a.state.dorsum.classifier, key)
            yield state
    app.router.lifespan_context = warm

    async def page(request: Request, key: str):
        return await asyncio.wrap_future(_future(request.app.state.dorsum.classifier, key))

    @app.get("/", include_in_schema=False)
    async def workbench(request: Request):
        return HTMLResponse(await page(request, "page"), headers=page_headers())

    @app.get("/api/case-form", summary="The workbench's case form, generated from the case shapes")
    async def case_form_json(request: Request):
        return JSONResponse(await page(request, "form"))

    # not in the OpenAPI document: its first answer after a start with a cold cache waits for the
    # diagrams (tens of seconds: rdflib parses every rule), which API fuzzers count as a hang
    @app.get("/api/pathways", include_in_schema=False)
    async def pathways(request: Request):
        return JSONResponse(await page(request, "pathways"))

    @app.get("/rules.html", include_in_schema=False)
    async def rules(request: Request):
        return HTMLResponse(await page(request, "rules"), headers=page_headers())
