"""The browser pages of `dorsum serve` (issue 17): /static (dorsum's own files and the assets that
`make web` vendors), the query page /editor, the saved analytics queries as JSON for it
(/api/analytics), and the API docs /docs with Swagger UI from /static, so that every page works
offline and nothing on it loads from another host. Apart from app because app is the SPARQL
protocol; these are the pages a person reads.
"""

from __future__ import annotations

import base64
import hashlib
import html
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from .. import DISCLAIMER
from .vendor import installed

STATIC = Path(__file__).resolve().parent / "static"
VENDOR_URL = "/static/vendor"

# What a page may load: its own origin only. Inline styles: YASGUI and Swagger UI set style
# attributes; 'wasm-unsafe-eval': Viz.js (the workbench's diagrams) compiles its WebAssembly.
CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{scripts}; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")

MISSING = ("The {what} is not installed: its browser files come from the project's build. Run "
           "<code>make web</code> (needs npm), then restart <code>dorsum serve</code>.")


def page_headers(inline_scripts: tuple[str, ...] = ()) -> dict[str, str]:
    """Security headers for an HTML page; each inline script is allowed by its SHA-256 only."""
    hashes = "".join(f" 'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
                     for s in inline_scripts)
    return {"Content-Security-Policy": CSP.format(scripts=hashes), "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin", "Cache-Control": "no-cache"}


def html_page(body: str, inline_scripts: tuple[str, ...] = ()) -> HTMLResponse:
    """An HTML answer with page_headers (the lead's workbench page can use it too)."""
    return HTMLResponse(body, headers=page_headers(inline_scripts))


def render_editor() -> str:
    """editor.html with the disclaimer, and without the editor's files when `make web` was not run
    (then the page says so instead of staying blank)."""
    text = (STATIC / "editor.html").read_text(encoding="utf-8")
    ok = installed("editor")
    vendor_head = (f'<link rel="stylesheet" href="{VENDOR_URL}/yasgui/yasgui.min.css">\n'
                   f'  <script src="{VENDOR_URL}/yasgui/yasgui.min.js" defer></script>') if ok else ""
    notice = "" if ok else f'<p class="missing" role="alert">{MISSING.format(what="SPARQL editor")}</p>'
    return (text.replace("<!--vendor-head-->", vendor_head).replace("<!--missing-->", notice)
            .replace("<!--disclaimer-->", html.escape(DISCLAIMER)))


def saved_queries(kb_root: str | None) -> list[dict]:
    """The saved analytics queries, each with the PREFIX lines that `dorsum query` puts before it,
    so the text runs as it is on /sparql."""
    from ..kb.paths import kb_paths
    from ..namespaces import SPARQL_PREFIXES
    from ..query.analytics import list_saved, saved_query

    paths = kb_paths(kb_root)
    return [{"name": q.stem, "title": q.title, "description": q.header.get("description", ""),
             "query": SPARQL_PREFIXES + saved_query(paths, q.stem)} for q in list_saved(paths)]


def docs_page(app: FastAPI) -> HTMLResponse:
    """Swagger UI from the vendored files, no validator badge (it posts the API to swagger.io)."""
    from fastapi.openapi.docs import get_swagger_ui_html

    if not installed("docs"):
        return html_page(f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{app.title} - "
                         f"Swagger UI</title></head><body><p>{MISSING.format(what='API documentation page')} "
                         f"The API description itself is at <a href=\"{app.openapi_url}\">{app.openapi_url}</a>."
                         f"</p></body></html>")
    base = f"{VENDOR_URL}/swagger-ui"
    page = get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} - Swagger UI",
                               swagger_js_url=f"{base}/swagger-ui-bundle.js", swagger_css_url=f"{base}/swagger-ui.css",
                               swagger_favicon_url=f"{base}/favicon-32x32.png",
                               swagger_ui_parameters={"validatorUrl": None})
    body = page.body.decode("utf-8")
    inline = [part.split("</script>")[0] for part in body.split("<script>")[1:]]
    return html_page(body, tuple(inline))


def add_pages(app: FastAPI, settings) -> None:
    """Register /static, /editor, /api/analytics and /docs on the app (settings: app.Settings)."""
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")

    @app.get("/editor", include_in_schema=False)
    async def editor():
        return html_page(render_editor())

    @app.get("/api/analytics", summary="The saved analytics queries (name, title, description, runnable query)")
    def analytics():
        return saved_queries(settings.kb_root)

    @app.get("/docs", include_in_schema=False)
    async def docs():
        return docs_page(app)
