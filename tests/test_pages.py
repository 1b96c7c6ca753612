"""The browser pages of `dorsum serve` (issue 17), in process (no browser; tests/browser drives one):
/api/analytics lists every saved query in a form that runs as it is, /editor and /docs reference
only their own origin, carry a Content-Security-Policy, and say to run `make web` when the vendored
files are missing; `make web`'s copy step (reasoner.serve.vendor) copies exactly its list."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from conftest import ROOT
from reasoner import DISCLAIMER
from reasoner.serve import pages, vendor

BASE = "http://127.0.0.1:7878"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """The app without its lifespan (no store is opened): the pages need none."""
    from reasoner.serve.app import Settings, create_app

    settings = Settings(str(tmp_path_factory.mktemp("pages") / "store"), host="127.0.0.1", port=7878)
    return TestClient(create_app(settings), base_url=BASE)


@pytest.fixture
def no_vendor(monkeypatch, tmp_path):
    """As if `make web` had not run."""
    monkeypatch.setattr(vendor, "VENDOR", tmp_path / "vendor")
    monkeypatch.setattr(pages, "installed", lambda page: vendor.installed(page, tmp_path / "vendor"))


class Refs(HTMLParser):
    """Every URL-valued attribute of a document, and its inline scripts."""

    def __init__(self):
        super().__init__()
        self.urls, self.inline, self._in_inline = [], [], False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href", "action", "poster", "data") and value is not None:
                self.urls.append(value)
            if name == "srcset" and value:
                self.urls += [c.strip().split()[0] for c in value.split(",") if c.strip()]
        self._in_inline = tag == "script" and "src" not in dict(attrs)

    def handle_data(self, data):
        if self._in_inline:
            self.inline.append(data)

    def handle_endtag(self, tag):
        self._in_inline = False


def refs(text: str) -> Refs:
    parser = Refs()
    parser.feed(text)
    return parser


def foreign(urls) -> list[str]:
    """URLs that would load from, or lead to, another host than the page's."""
    return [u for u in urls if urlsplit(u).scheme not in ("", "data") or urlsplit(u).netloc]


def test_api_analytics_lists_every_saved_query_runnable_as_it_is(client):
    import pyoxigraph as ox

    from reasoner.namespaces import SPARQL_PREFIXES

    r = client.get("/api/analytics")
    assert r.status_code == 200
    saved = r.json()
    assert [q["name"] for q in saved] == sorted(p.stem for p in (ROOT / "queries" / "analytics").glob("*.rq"))
    for q in saved:
        text = (ROOT / "queries" / "analytics" / f"{q['name']}.rq").read_text(encoding="utf-8")
        assert q["query"] == SPARQL_PREFIXES + text
        assert q["title"] and q["title"] != q["name"] and q["description"]
        assert f"# title: {q['title']}" in text
        ox.Store().query(q["query"])  # its prefixes are all there: it parses and runs on its own


@pytest.mark.parametrize("path", ["/editor", "/docs"])
def test_pages_reference_only_their_own_origin_and_carry_a_csp(client, path):
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    found = refs(r.text)
    assert found.urls and foreign(found.urls) == []
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp and "'unsafe-inline'" not in csp.split(";")[1]
    for script in found.inline:  # an inline script runs only by its hash
        import base64
        import hashlib

        assert base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() in csp
    for url in found.urls:
        if url.startswith("/static/"):
            assert client.get(url).status_code == 200, url


def test_editor_page_serves_the_disclaimer_and_the_editor(client):
    text = client.get("/editor").text
    assert text.count("clinical decision support") == 1
    assert DISCLAIMER.split(";")[0] in text
    assert "/static/vendor/yasgui/yasgui.min.js" in text and "make web" not in text
    assert 'href="/"' in text and 'href="/rules.html"' in text


def test_docs_page_is_swagger_ui_from_static_without_the_validator(client):
    text = client.get("/docs").text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in text
    assert '"validatorUrl": null' in text
    assert "cdn.jsdelivr" not in text and "fastapi.tiangolo.com" not in text
    assert client.get("/redoc").status_code == 404  # ReDoc loads from a CDN and Google Fonts: off


def test_without_make_web_the_pages_say_so(client, no_vendor):
    editor, docs = client.get("/editor"), client.get("/docs")
    assert editor.status_code == docs.status_code == 200
    assert "make web" in editor.text and "yasgui.min.js" not in editor.text
    assert "make web" in docs.text and "swagger-ui-bundle.js" not in docs.text and "/openapi.json" in docs.text


def test_pages_keep_the_host_guard(client):
    for path in ("/editor", "/docs", "/api/analytics", "/static/editor.js"):
        assert client.get(path, headers={"Host": "evil.com"}).status_code == 421, path


def test_query_alias_is_still_sparql(client):
    """GET /query stays the SPARQL endpoint's alias: the pages took other paths."""
    names = {(r.path, m): r.name for r in client.app.routes for m in getattr(r, "methods", ())}
    assert names[("/query", "GET")] == names[("/sparql", "GET")] == "sparql_get"


def test_vendor_copies_exactly_its_list_with_licences(tmp_path):
    modules = tmp_path / "node_modules"
    for pkg in vendor.PACKAGES.values():
        root = modules / pkg.npm
        for rel in (*pkg.files, *pkg.licence_files):
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(rel, encoding="utf-8")
        (root / "package.json").write_text(json.dumps({"version": "9.9.9"}), encoding="utf-8")
        (root / "unlisted.js").write_text("never copied", encoding="utf-8")
    target = tmp_path / "vendor"
    assert vendor.vendor(modules, target) == {name: "9.9.9" for name in vendor.PACKAGES}
    copied = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    expected = {"versions.json"}
    for name, pkg in vendor.PACKAGES.items():
        expected |= {f"{name}/{out}" for out in pkg.files.values()}
        expected |= {f"{name}/{f}" for f in (pkg.licence_files or ("LICENSE",))}
    assert copied == sorted(expected)
    assert all(vendor.installed(page, target) for page in vendor.REQUIRED)
    (modules / "@zazuko/yasgui/build/yasgui.min.js").unlink()
    with pytest.raises(FileNotFoundError, match="yasgui.min.js"):
        vendor.vendor(modules, target)
