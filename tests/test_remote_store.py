"""Writing case graphs into another SPARQL 1.1 store (issue 19): `dorsum push` and `dorsum load --to`.

First against a scripted Graph Store on loopback (what is sent, retries and back-off, errors not
retried, authentication as the server asks, redirects), then against a real Virtuoso (tests/virtuoso.py):
the graphs arrive whole under the embedded store's IRIs, a second push replaces them, and every
saved analytics query gives the same rows on Virtuoso as on the embedded store.
"""

from __future__ import annotations

import base64
import json
import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from conftest import ROOT, VIGNETTES
from reasoner.cli import main
from reasoner.namespaces import KB_GRAPH, SPARQL_PREFIXES
from reasoner.store.remote import push_store
from virtuoso import normalised, virtuoso  # noqa: F401  (virtuoso: the session fixture)

# saved queries known not to give the same rows on Virtuoso 7.2 yet, name -> why: each is a warning in
# the test's summary; once one gives the same rows the test fails, saying to remove its entry here.
# None today (guideline-adherence was, until its day counts became portable day numbers).
NOT_PORTABLE: dict = {}
SAVED = sorted((ROOT / "queries" / "analytics").glob("*.rq"))
NO_WAIT = {"sleep": lambda s: None}


class Script(BaseHTTPRequestHandler):
    """A Graph Store that answers each request with the next scripted (status, headers, body), or
    what a scripted function of the request headers returns, then 201; it records (method, path,
    query, headers, body)."""

    def do_PUT(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        parts = urlsplit(self.path)
        self.server.seen.append(("PUT", parts.path, parse_qs(parts.query), dict(self.headers), body))
        answer = self.server.script.pop(0) if self.server.script else (201, {}, "")
        status, headers, text = answer(self.headers) if callable(answer) else answer
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(text.encode())))
        self.end_headers()
        self.wfile.write(text.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def scripted():
    """A factory of scripted Graph Stores on loopback: scripted(*answers) -> server (server.url)."""
    servers = []

    def make(*answers):
        server = ThreadingHTTPServer(("127.0.0.1", 0), Script)
        server.script, server.seen = list(answers), []
        server.url = f"http://127.0.0.1:{server.server_port}/gsp"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield make
    for s in servers:
        s.shutdown()
        s.server_close()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """An embedded store of a few vignettes (and its directory)."""
    path = tmp_path_factory.mktemp("small") / "store"
    res = CliRunner().invoke(main, ["load", *map(str, VIGNETTES[:3]), "--store", str(path)])
    assert res.exit_code == 0, res.output
    return path


def store_graph_triples(path) -> dict[str, set]:
    s = ox.Store.read_only(str(path))
    return {g.value: {str(q.triple) for q in s.quads_for_pattern(None, None, None, g)} for g in s.named_graphs()}


def test_each_graph_is_put_whole_under_its_iri_the_knowledge_base_first(scripted, store):
    server = scripted()
    summary = push_store(store, server.url, environ={})
    expected = store_graph_triples(store)
    assert summary.ok and summary.graphs == len(expected) == 4 and summary.retries == 0
    assert summary.triples == sum(map(len, expected.values()))
    sent = {}
    for method, path, query, headers, body in server.seen:
        assert (method, path, headers["Content-Type"]) == ("PUT", "/gsp", "application/n-triples")
        assert "Authorization" not in headers  # no credentials in the environment: none sent
        sent[query["graph"][0]] = {str(t) for t in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)}
    assert server.seen[0][2]["graph"] == [KB_GRAPH]
    assert sent == expected


def test_connection_errors_429_and_5xx_are_retried_with_growing_waits(scripted, store):
    waits = []
    server = scripted((503, {}, "busy"), (429, {"Retry-After": "3"}, ""), (502, {}, ""))
    summary = push_store(store, server.url, environ={}, sleep=waits.append, backoff=0.5)
    assert summary.ok and summary.graphs == 4 and summary.retries == 3
    assert waits == [0.5, 3.0, 2.0]  # 0.5 s doubled each time; a Retry-After longer than that is honoured
    flaky = scripted(*[(503, {}, "overloaded")] * 3)
    summary = push_store(store, flaky.url, environ={}, sleep=waits.append, retries=2)
    assert summary.failures == [(KB_GRAPH, "503: overloaded (after 2 retries)")] and summary.graphs == 3
    gone = scripted()
    url = gone.url
    gone.shutdown()
    gone.server_close()
    waits.clear()
    summary = push_store(store, url, environ={}, sleep=waits.append, retries=3)
    assert summary.graphs == 0 and "cannot be reached" in summary.stopped and len(waits) == 3


def test_a_4xx_is_not_retried_but_reported_with_the_graph_and_the_servers_message(scripted, store, monkeypatch):
    server = scripted((201, {}, ""), (400, {"Content-Type": "text/html"}, "<h1>Bad</h1><xmp>cannot parse line 3</xmp>"))
    result = CliRunner().invoke(main, ["push", "--store", str(store), "--to", server.url])
    assert result.exit_code == 1 and len(server.seen) == 4  # the failed graph once; the others written
    failed = server.seen[1][2]["graph"][0]
    assert f"failed: <{failed}>: 400: Bad cannot parse line 3" in result.output
    assert "wrote 3 graphs" in result.output and "0 retries, 1 failed" in result.output


def test_credentials_come_from_the_environment_as_the_server_asks_and_are_never_printed(scripted, store, monkeypatch):
    secret = "s3cret-pw"
    token = "Basic " + base64.b64encode(f"alice:{secret}".encode()).decode()
    challenge = (401, {"WWW-Authenticate": 'Basic realm="gsp"'}, "")

    def answer(headers):
        return (201, {}, "") if headers.get("Authorization") == token else challenge
    server = scripted(*[answer] * 5)
    monkeypatch.setenv("DORSUM_STORE_USER", "alice")
    monkeypatch.setenv("DORSUM_STORE_PASSWORD", secret)
    result = CliRunner().invoke(main, ["push", "--store", str(store), "--to", server.url])
    assert result.exit_code == 0, result.output
    auth = [s[3].get("Authorization") for s in server.seen]
    assert auth == [None, token, token, token, token]  # sent once asked, from then on directly
    assert secret not in result.output and "alice" not in result.output
    monkeypatch.setenv("DORSUM_STORE_PASSWORD", "wrong")
    refused = scripted(*[challenge] * 5)
    result = CliRunner().invoke(main, ["push", "--store", str(store), "--to", refused.url])
    assert result.exit_code == 1 and "refused the credentials" in result.output and "wrong" not in result.output
    assert len(refused.seen) == 2  # no point in trying the other graphs


def test_basic_authentication_is_sent_only_over_https_or_to_this_machine():
    from reasoner.store.remote import basic_allowed

    assert basic_allowed("https://triples.hospital.example/gsp") and basic_allowed("http://127.0.0.1:8890/gsp")
    assert basic_allowed("http://localhost:8890/gsp") and not basic_allowed("http://triples.hospital.example/gsp")


def test_tls_certificates_are_verified_and_a_ca_bundle_can_be_added(scripted, store, tmp_path):
    import shutil
    import ssl
    import subprocess

    if not shutil.which("openssl"):
        pytest.skip("openssl not found (it makes the test's self-signed certificate)")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    server = scripted()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    url = server.url.replace("http://", "https://")
    summary = push_store(store, url, environ={}, **NO_WAIT)
    assert summary.graphs == 0 and "not trusted" in summary.stopped and summary.retries == 0
    summary = push_store(store, url, environ={"DORSUM_STORE_CA_BUNDLE": str(cert)})
    assert summary.ok and summary.graphs == 4


def test_credentials_in_the_url_are_refused(store):
    result = CliRunner().invoke(main, ["push", "--store", str(store), "--to", "http://u:pw@127.0.0.1:9/gsp"])
    assert result.exit_code == 2 and "DORSUM_STORE_USER" in result.output and "pw" not in result.output.split("DORSUM")[0]
    result = CliRunner().invoke(main, ["push", "--store", str(store), "--to", "ftp://127.0.0.1/gsp"])
    assert result.exit_code == 2


def test_a_redirect_is_followed_only_to_the_same_origin_keeping_the_put(scripted, store):
    elsewhere = scripted()
    other = elsewhere.url.replace("127.0.0.1", "localhost")
    server = scripted((307, {"Location": "/gsp2?graph=x"}, ""), (308, {"Location": other}, ""),
                      (302, {"Location": "/gsp3"}, ""))
    summary = push_store(store, server.url, environ={}, **NO_WAIT)
    assert [s[1] for s in server.seen][:2] == ["/gsp", "/gsp2"] and summary.graphs == 2
    assert not elsewhere.seen  # another host (or port) is never sent the graph
    assert [why.split(":")[0] for _, why in summary.failures] == ["308", "302"]


def test_load_writes_to_the_other_store_and_refuses_neither_target(scripted, tmp_path):
    server = scripted()
    run = tmp_path / "run.json"
    result = CliRunner().invoke(main, ["load", str(VIGNETTES[0]), str(VIGNETTES[1]), "--to", server.url,
                                       "--manifest", str(run)])
    assert result.exit_code == 0, result.output
    assert "loaded 2 cases" in result.output and "wrote 3 graphs" in result.output
    output = json.loads(run.read_text())["output"]  # the manifest names where the graphs went, not a gone temp store
    assert output["store"] is None and output["to"] == server.url
    assert CliRunner().invoke(main, ["load", str(VIGNETTES[0])]).exit_code == 2
    both = scripted()
    result = CliRunner().invoke(main, ["load", str(VIGNETTES[2]), "--store", str(tmp_path / "s"), "--to", both.url])
    assert result.exit_code == 0 and len(both.seen) == 2  # the knowledge base and this load's case
    assert set(store_graph_triples(tmp_path / "s")) == {s[2]["graph"][0] for s in both.seen}


def test_n_quads_files_are_pushed_graph_by_graph_and_default_graph_triples_refused(scripted, store, tmp_path):
    nq = tmp_path / "cases.nq"
    nq.write_bytes(ox.Store.read_only(str(store)).dump(format=ox.RdfFormat.N_QUADS))
    server = scripted()
    result = CliRunner().invoke(main, ["push", str(nq), "--to", server.url])
    assert result.exit_code == 0, result.output
    assert {s[2]["graph"][0] for s in server.seen} == set(store_graph_triples(store))
    loose = tmp_path / "loose.nq"
    loose.write_text('<https://example.org/s> <https://example.org/p> "o" .\n')
    result = CliRunner().invoke(main, ["push", str(loose), "--to", server.url])
    assert result.exit_code == 2 and "outside any named graph" in result.output
    assert CliRunner().invoke(main, ["push", str(nq), "--store", str(store), "--to", server.url]).exit_code == 2


def test_spark_results_go_into_the_same_case_graphs_as_the_embedded_store(scripted, store, tmp_path):
    """`dorsum spark`'s nquads column is a case's result graph as canonical N-Quads in the default graph
    (as `dorsum classify --format nquads` of one case): in_case_graph puts it in the case's graph,
    under the IRI the embedded store gives it, blank nodes apart from other cases'."""
    from reasoner.store.case_store import case_graph_iri
    from reasoner.store.remote import in_case_graph

    case_id = json.loads(VIGNETTES[0].read_text())["id"]
    canonical = CliRunner().invoke(main, ["classify", str(VIGNETTES[0]), "--format", "nquads"]).output
    (tmp_path / "spark.nq").write_text(in_case_graph(case_id, canonical) + in_case_graph("other", "_:c14n0 <urn:p> _:c14n1 .\n"))
    server = scripted()
    result = CliRunner().invoke(main, ["push", str(tmp_path / "spark.nq"), "--with-kb", "--to", server.url])
    assert result.exit_code == 0, result.output
    sent = {s[2]["graph"][0]: {str(t) for t in ox.parse(s[4], format=ox.RdfFormat.N_TRIPLES)} for s in server.seen}
    expected = store_graph_triples(store)
    assert set(sent) == {KB_GRAPH, case_graph_iri(case_id), case_graph_iri("other")}
    assert case_graph_iri(case_id) in expected  # the graph IRI the embedded store gives the case
    assert sent[case_graph_iri(case_id)] == {str(t) for t in ox.parse(canonical.encode(), format=ox.RdfFormat.N_TRIPLES)}
    ground = lambda triples: {t for t in triples if "_:" not in t}  # noqa: E731 - blank nodes get fresh labels
    assert ground(sent[KB_GRAPH]) == ground(expected[KB_GRAPH])  # as dorsum load stores it
    assert len(sent[KB_GRAPH]) == len(expected[KB_GRAPH])


# ---- against a real Virtuoso (tests/virtuoso.py) ----

@pytest.fixture(scope="module")
def pushed(virtuoso, tmp_path_factory):  # noqa: F811
    """The test corpus (the vignettes, dates added to every third, some without the steps' dates) in an
    embedded store, pushed into Virtuoso."""
    tmp = tmp_path_factory.mktemp("corpus")
    lines = []
    for i, p in enumerate(VIGNETTES):
        case = json.loads(p.read_text())
        if i % 3 == 0:  # every ninth has only first_seen: its steps are not recorded yet
            case["dates"] = {"first_seen": "2026-02-26"} if i % 9 == 6 else {
                "first_seen": "2026-02-26", "ultrasound": "2026-03-02" if i % 2 else "2026-03-20", "referral": "2026-03-01"}
        lines.append(json.dumps(case))
    (tmp / "corpus.jsonl").write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["load", str(tmp / "corpus.jsonl"), "--store", str(tmp / "store")])
    assert result.exit_code == 0, result.output
    result = CliRunner(env=virtuoso.env()).invoke(main, ["push", "--store", str(tmp / "store"), "--to", virtuoso.crud_auth])
    assert result.exit_code == 0, result.output
    return tmp / "store", result.output


def remote_graphs(virtuoso) -> dict[str, int]:  # noqa: F811
    rows = virtuoso.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                           "FILTER (STRSTARTS(STR(?g), 'https://w3id.org/dorsum/graph/')) } GROUP BY ?g")
    return {r["g"]["value"]: int(r["n"]["value"]) for r in rows["results"]["bindings"]}


def test_virtuoso_holds_every_graph_and_gives_each_saved_querys_rows(virtuoso, pushed):  # noqa: F811
    """One test, so that a run starts one Virtuoso even under xdist: every graph arrives whole, a
    second push replaces (never adds), a wrong password stops the push; then each saved query gives
    the same rows on Virtuoso's /sparql (the same text, prefixes included) as `dorsum query`."""
    store, output = pushed
    local = {g: len(t) for g, t in store_graph_triples(store).items()}
    assert f"wrote {len(local)} graphs ({sum(local.values())} triples)" in output
    assert remote_graphs(virtuoso) == local
    result = CliRunner(env=virtuoso.env()).invoke(main, ["push", "--store", str(store), "--to", virtuoso.crud_auth])
    assert result.exit_code == 0 and remote_graphs(virtuoso) == local  # replaced, not added to
    wrong = {**virtuoso.env(), "DORSUM_STORE_PASSWORD": "not-it"}
    result = CliRunner(env=wrong).invoke(main, ["push", "--store", str(store), "--to", virtuoso.crud_auth])
    assert result.exit_code == 1 and "refused the credentials" in result.output

    differ = {}
    for query in SAVED:
        res = CliRunner().invoke(main, ["query", "--name", query.stem, "--store", str(store), "--format", "json"])
        assert res.exit_code == 0, res.output
        embedded = json.loads(res.output)
        if query.stem == "guideline-adherence":  # the corpus has every status, unrecorded steps included
            assert {b["status"]["value"] for b in embedded["results"]["bindings"]} == {"met", "breached", "not-recorded"}
        try:
            remote = virtuoso.select(SPARQL_PREFIXES + query.read_text(encoding="utf-8"))
        except Exception as exc:  # noqa: BLE001 - SPARQLWrapper's errors carry Virtuoso's message
            differ[query.stem] = " ".join(str(exc).split())[:300]
            continue
        if remote["head"]["vars"] != embedded["head"]["vars"] or normalised(remote) != normalised(embedded):
            differ[query.stem] = f"embedded {normalised(embedded)[:3]} ... Virtuoso {normalised(remote)[:3]} ..."
    for name in sorted(set(differ) & set(NOT_PORTABLE)):
        warnings.warn(f"saved query {name} is not portable to Virtuoso yet: {NOT_PORTABLE[name]}", stacklevel=1)
    assert not set(differ) - set(NOT_PORTABLE), {k: v for k, v in differ.items() if k not in NOT_PORTABLE}
    assert not set(NOT_PORTABLE) - set(differ), (f"{sorted(set(NOT_PORTABLE) - set(differ))} now give the same rows "
                                                 "on Virtuoso: remove them from NOT_PORTABLE")
