"""Writes through `dorsum serve` (issue 14, item 3): a web page cannot write to the store.

DNS rebinding (a Host that is not the server's address) is refused on every route; POST /classify
takes application/json from the server's own origin only; ?store=true is refused unless the server
was started with --allow-store; an invalid case never replaces a stored one. The app is driven in
process (Starlette's TestClient, which sends Host 127.0.0.1:7878 as a client of that address would);
nothing listens on a port."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from conftest import ROOT
from reasoner.cli import main

BASE = "http://127.0.0.1:7878"
CASE_ID = "posted-by-test"


@pytest.fixture(scope="module")
def app_and_settings(tmp_path_factory):
    from reasoner.serve.app import Settings, create_app

    store = tmp_path_factory.mktemp("writes") / "store"
    res = CliRunner().invoke(main, ["load", str(ROOT / "examples" / "growing-lump-adult.json"), "--store", str(store)])
    assert res.exit_code == 0, res.output
    settings = Settings(str(store), timeout=10, workers=1, host="127.0.0.1", port=7878)
    app = create_app(settings)
    with TestClient(app, base_url=BASE) as client:
        yield client, settings


@pytest.fixture
def client(app_and_settings):
    return app_and_settings[0]


@pytest.fixture
def allow_store(app_and_settings, monkeypatch):
    """The server as `dorsum serve --allow-store` starts it."""
    monkeypatch.setattr(app_and_settings[1], "allow_store", True)


def valid_case() -> dict:
    case = json.loads((ROOT / "examples" / "growing-lump-adult.json").read_text())
    case["id"] = CASE_ID
    return case


def stored_graph(client, case_id: str = CASE_ID) -> list[str]:
    """Every quad of the case's graph, as text, read from the server's own store."""
    import pyoxigraph as ox

    from reasoner.store.case_store import case_graph_iri

    store = client.app.state.dorsum.store
    return sorted(str(q) for q in store.quads_for_pattern(None, None, None, ox.NamedNode(case_graph_iri(case_id))))


def test_a_foreign_host_is_refused_on_every_route(client, allow_store):
    before = stored_graph(client)
    evil = {"Host": "evil.com"}
    answers = [
        client.get("/health", headers=evil),
        client.get("/sparql", params={"query": "ASK {}"}, headers=evil),
        client.get("/query", params={"query": "ASK {}"}, headers=evil),
        client.post("/sparql", content="ASK {}", headers={**evil, "Content-Type": "application/sparql-query"}),
        client.get("/openapi.json", headers=evil),
        client.get("/docs", headers=evil),
        client.get("/no-such-route", headers=evil),
        client.options("/sparql", headers={**evil, "Origin": "http://evil.com", "Access-Control-Request-Method": "POST"}),
        client.post("/classify", params={"store": "true"}, json=valid_case(), headers=evil),
        client.post("/classify", params={"store": "true"}, json=valid_case(), headers={"Host": "evil.com:7878"}),
        client.post("/classify", params={"store": "true"}, json=valid_case(), headers={"Host": "127.0.0.1:9999"}),
    ]
    for r in answers:
        assert r.status_code in (400, 421), (r.request.url, r.status_code, r.text)
        assert "Host" in r.text
    assert stored_graph(client) == before == []
    # the bound address and the loopback names, with the bound port, are this server
    for host in ("127.0.0.1:7878", "localhost:7878", "[::1]:7878"):
        assert client.get("/health", headers={"Host": host}).status_code == 200


def test_classify_refuses_a_simple_cross_origin_write_and_the_store_is_unchanged(client, allow_store):
    r = client.post("/classify", params={"store": "true"}, json=valid_case())
    assert r.status_code == 200, r.text
    before = stored_graph(client)
    assert before
    changed = valid_case()
    changed["lump"]["growth"] = "stable"
    body = json.dumps(changed)
    for headers in (
        {"Content-Type": "text/plain", "Origin": "http://evil.com"},       # a form or fetch() without preflight
        {"Content-Type": "text/plain"},
        {"Content-Type": "application/x-www-form-urlencoded"},
        {"Content-Type": "application/json", "Origin": "http://evil.com"},
        {"Content-Type": "application/json", "Origin": "null"},
        {"Content-Type": "application/json", "Origin": "http://127.0.0.1:9999"},
        {"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"},
    ):
        r = client.post("/classify", params={"store": "true"}, content=body, headers=headers)
        assert r.status_code in (403, 415), (headers, r.status_code, r.text)
        assert stored_graph(client) == before, headers
    # no CORS preflight succeeds for a write, while read-only SPARQL keeps its CORS
    pre = client.options("/classify", headers={"Origin": "http://evil.com", "Access-Control-Request-Method": "POST",
                                               "Access-Control-Request-Headers": "content-type"})
    assert pre.status_code >= 400 and "access-control-allow-origin" not in pre.headers
    # the server's own origin may write
    r = client.post("/classify", params={"store": "true"}, content=body,
                    headers={"Content-Type": "application/json", "Origin": BASE})
    assert r.status_code == 200, r.text
    assert stored_graph(client) != before


def test_storing_is_off_without_the_flag(client, app_and_settings):
    assert app_and_settings[1].allow_store is False
    from reasoner.cli.serve_cmd import serve_cmd
    assert {p.name: p.default for p in serve_cmd.params}["allow_store"] is False
    case = valid_case()
    case["id"] = "never-stored"
    r = client.post("/classify", params={"store": "true"}, json=case)
    assert r.status_code == 403 and "--allow-store" in r.text
    assert stored_graph(client, "never-stored") == []
    r = client.post("/classify", json=case)  # classifying without storing still works
    assert r.status_code == 200 and r.json()["urgency"]["level"] == "urgent"
    assert stored_graph(client, "never-stored") == []


def test_an_invalid_case_never_replaces_a_stored_one(client, allow_store):
    r = client.post("/classify", params={"store": "true"}, json=valid_case())
    assert r.status_code == 200, r.text
    before = stored_graph(client)
    assert any("classified" in q for q in before)
    for bad in ({"id": CASE_ID, "patient": {"age_years": -3}}, {"id": CASE_ID}):
        r = client.post("/classify", params={"store": "true"}, json=bad)
        assert r.status_code == 422, r.text
        assert r.json()["errors"], r.json()
        assert stored_graph(client) == before
    r = client.post("/classify", params={"store": "true"}, content=b"{not json",
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and stored_graph(client) == before
    # and an invalid case with a new id is not stored either
    r = client.post("/classify", params={"store": "true"}, json={"id": "new-invalid", "patient": {"age_years": -3}})
    assert r.status_code == 422 and stored_graph(client, "new-invalid") == []


def test_cors_is_opt_in_per_origin_and_never_opens_writes(tmp_path):
    """`dorsum serve --cors-origin http://localhost:3000`: pages of that origin may read answers;
    other origins get no CORS header; no origin may write (the write rules above still apply)."""
    from reasoner.serve.app import Settings, create_app

    store = tmp_path / "store"
    assert CliRunner().invoke(main, ["load", str(ROOT / "examples" / "growing-lump-adult.json"), "--store", str(store)]).exit_code == 0
    settings = Settings(str(store), timeout=10, workers=1, host="127.0.0.1", port=7878,
                        cors_origins=("http://localhost:3000",))
    with TestClient(create_app(settings), base_url=BASE) as c:
        ok = {"Origin": "http://localhost:3000", "Accept": "application/sparql-results+json"}
        r = c.get("/sparql", params={"query": "ASK {}"}, headers=ok)
        assert r.status_code == 200 and r.headers.get("access-control-allow-origin") == "http://localhost:3000"
        pre = c.options("/sparql", headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"})
        assert pre.status_code == 200
        r = c.get("/sparql", params={"query": "ASK {}"}, headers={"Origin": "http://evil.com"})
        assert "access-control-allow-origin" not in r.headers
        r = c.post("/classify", content=json.dumps(valid_case()),
                   headers={"Content-Type": "application/json", "Origin": "http://localhost:3000"})
        assert r.status_code == 403
        pre = c.options("/classify", headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
                                               "Access-Control-Request-Headers": "content-type"})
        assert "access-control-allow-origin" not in pre.headers
