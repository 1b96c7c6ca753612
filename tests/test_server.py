"""A real `dorsum serve`, started on a free loopback port, queried as clients would."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from click.testing import CliRunner
from rdflib import Graph
from SPARQLWrapper import CSV, JSON, TSV, TURTLE, XML, N3, JSONLD, SPARQLWrapper

from conftest import ROOT
from reasoner.cli import main

COUNT_LEVELS = """PREFIX dorsum: <https://w3id.org/dorsum/>
SELECT ?level (COUNT(?u) AS ?n) WHERE { ?u a dorsum:UrgencyConclusion ; dorsum:level ?level } GROUP BY ?level ORDER BY ?level"""
CONSTRUCT_LEVELS = """PREFIX dorsum: <https://w3id.org/dorsum/>
CONSTRUCT { ?u dorsum:level ?level } WHERE { ?u a dorsum:UrgencyConclusion ; dorsum:level ?level }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    store = tmp / "store"
    assert CliRunner().invoke(main, ["load", str(ROOT / "examples"), "--store", str(store)]).exit_code == 0
    with serving(store, "--timeout", "3", "--max-results", "500", "--max-body", "20000", "--allow-store") as base:
        yield base


@contextlib.contextmanager
def serving(store, *options, wait: float = 90.0):
    """`dorsum serve --store STORE OPTIONS...` on a free loopback port, once /health answers: its base URL.
    Its output goes to a file (a pipe nobody reads would stall a server that logs every request); a
    server that exits or does not answer within `wait` seconds fails the test with that output."""
    port = free_port()
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen([sys.executable, "-m", "reasoner.cli", "serve", "--store", str(store), "--port",
                                 str(port), *options], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + wait
            while proc.poll() is None and time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(base + "/health", timeout=1).status_code == 200:
                        break
                time.sleep(0.2)
            else:
                log.seek(0)
                pytest.fail("dorsum serve did not start: " + log.read().decode("utf-8", "replace")[-2000:], pytrace=False)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def expected_levels():
    from reasoner.pipeline import Classifier
    # each example's urgency conclusions, counted by level, straight from the classifier
    from collections import Counter
    c = Counter()
    for r in Classifier().classify_paths([ROOT / "examples"]):
        for s, o in r.graph.subject_objects(__import__("rdflib").URIRef("https://w3id.org/dorsum/level")):
            c[str(o)] += 1
    return dict(c)


@pytest.fixture(scope="module")
def levels():
    return expected_levels()


def wrapper(base, fmt, method="GET"):
    sw = SPARQLWrapper(base + "/sparql")
    sw.setReturnFormat(fmt)
    sw.setMethod(method)
    return sw


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_select_json(server, levels, method):
    sw = wrapper(server, JSON, method)
    sw.setQuery(COUNT_LEVELS)
    data = sw.queryAndConvert()
    got = {b["level"]["value"]: int(b["n"]["value"]) for b in data["results"]["bindings"]}
    assert got == levels


def test_select_xml_csv_tsv(server, levels):
    sw = wrapper(server, XML)
    sw.setQuery(COUNT_LEVELS)
    doc = sw.queryAndConvert()
    xml_levels = [u.firstChild.data for u in doc.getElementsByTagName("uri")]
    assert sorted(xml_levels) == sorted(levels)
    for fmt, sep in ((CSV, ","), (TSV, "\t")):
        sw = wrapper(server, fmt)
        sw.setQuery(COUNT_LEVELS)
        text = sw.queryAndConvert().decode()
        rows = [line.split(sep) for line in text.strip().splitlines()[1:]]
        got = {r[0].strip("<>"): int(r[1].split("^^")[0].strip('"')) for r in rows}
        assert got == levels


@pytest.mark.parametrize("fmt", [TURTLE, N3, JSONLD])
def test_construct_graph_formats(server, levels, fmt):
    sw = wrapper(server, fmt)
    sw.setQuery(CONSTRUCT_LEVELS)
    result = sw.query()
    body = result.response.read()
    ctype = result.response.headers.get("Content-Type", "")
    rdf_format = {"text/turtle": "turtle", "application/n-triples": "nt", "application/ld+json": "json-ld"}[ctype.split(";")[0]]
    g = Graph().parse(data=body, format=rdf_format)
    from collections import Counter
    assert dict(Counter(str(o) for o in g.objects())) == levels


def test_ask(server):
    r = httpx.get(server + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and r.json()["boolean"] is True


def test_accept_q_values_and_format_parameter(server):
    accept = "application/sparql-results+xml;q=0.5, text/csv;q=0.9, */*;q=0.1"
    r = httpx.get(server + "/sparql", params={"query": COUNT_LEVELS}, headers={"Accept": accept})
    assert r.headers["content-type"].startswith("text/csv")
    r = httpx.get(server + "/sparql", params={"query": CONSTRUCT_LEVELS},
                  headers={"Accept": "application/sparql-results+json;q=1.0, application/n-triples;q=0.8, text/turtle;q=0.5"})
    assert r.headers["content-type"].startswith("application/n-triples")
    r = httpx.get(server + "/sparql", params={"query": COUNT_LEVELS, "format": "json"}, headers={"Accept": "text/csv"})
    assert r.headers["content-type"].startswith("application/sparql-results+json")
    r = httpx.get(server + "/sparql", params={"query": COUNT_LEVELS, "output": "tsv"})
    assert r.headers["content-type"].startswith("text/tab-separated-values")
    r = httpx.get(server + "/sparql", params={"query": COUNT_LEVELS}, headers={"Accept": "image/png"})
    assert r.status_code == 406


def test_post_sparql_query_body(server, levels):
    r = httpx.post(server + "/sparql", content=COUNT_LEVELS, headers={"Content-Type": "application/sparql-query",
                                                                      "Accept": "application/sparql-results+json"})
    assert r.status_code == 200
    assert {b["level"]["value"]: int(b["n"]["value"]) for b in r.json()["results"]["bindings"]} == levels


def test_service_description(server):
    r = httpx.get(server + "/sparql", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    g = Graph().parse(data=r.text, format="turtle")
    q = "ASK { ?s a <http://www.w3.org/ns/sparql-service-description#Service> ; <http://www.w3.org/ns/sparql-service-description#endpoint> ?e }"
    assert g.query(q).askAnswer


def test_update_is_refused(server):
    for r in (
        httpx.post(server + "/sparql", content="INSERT DATA { <urn:a> <urn:b> <urn:c> }",
                   headers={"Content-Type": "application/sparql-update"}),
        httpx.post(server + "/sparql", data={"update": "DROP ALL"}),
        httpx.get(server + "/sparql", params={"query": "DELETE WHERE { ?s ?p ?o }"}),
    ):
        assert r.status_code == 403 and "read-only" in r.text
    sw = wrapper(server, JSON)
    sw.setQuery("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert int(sw.queryAndConvert()["results"]["bindings"][0]["n"]["value"]) > 0  # nothing was deleted


def test_service_is_refused(server):
    q = "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"
    r = httpx.get(server + "/sparql", params={"query": q})
    assert r.status_code == 400 and "never makes outbound requests" in r.text
    # the word inside a string is not federation
    r = httpx.get(server + "/sparql", params={"query": 'SELECT ("SERVICE" AS ?x) WHERE {}'},
                  headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200


def test_syntax_error_is_400(server):
    r = httpx.get(server + "/sparql", params={"query": "SELEKT nothing"})
    assert r.status_code == 400 and "syntax" in r.text.lower()


def test_slow_query_hits_the_timeout_and_the_server_keeps_serving(server, levels):
    cross = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    start = time.time()
    r = httpx.get(server + "/sparql", params={"query": cross}, timeout=60)
    assert r.status_code == 503 and "time limit" in r.text
    assert time.time() - start < 30
    sw = wrapper(server, JSON)
    sw.setQuery(COUNT_LEVELS)
    assert {b["level"]["value"]: int(b["n"]["value"]) for b in sw.queryAndConvert()["results"]["bindings"]} == levels


def test_result_cap(server):
    r = httpx.get(server + "/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert r.status_code == 413 and "result-size cap" in r.text


def test_twenty_concurrent_clients(server, levels):
    def one(i):
        sw = wrapper(server, JSON, "POST" if i % 2 else "GET")
        sw.setQuery(COUNT_LEVELS)
        return {b["level"]["value"]: int(b["n"]["value"]) for b in sw.queryAndConvert()["results"]["bindings"]}
    with ThreadPoolExecutor(20) as ex:
        answers = list(ex.map(one, range(20)))
    assert all(a == levels for a in answers)


def test_classify_round_trip_and_store(server):
    case = json.loads((ROOT / "examples" / "growing-lump-adult.json").read_text())
    case["id"] = "posted-case"
    r = httpx.post(server + "/classify", json=case, timeout=60)
    assert r.status_code == 200
    from reasoner.pipeline import Classifier
    assert r.json()["urgency"]["level"] == "urgent"
    ask = 'ASK { GRAPH <https://w3id.org/dorsum/graph/case/posted-case> { ?s ?p ?o } }'
    assert httpx.get(server + "/sparql", params={"query": ask}, headers={"Accept": "application/sparql-results+json"}).json()["boolean"] is False
    r = httpx.post(server + "/classify", params={"store": "true"}, json=case, timeout=60)
    assert r.status_code == 200
    assert httpx.get(server + "/sparql", params={"query": ask}, headers={"Accept": "application/sparql-results+json"}).json()["boolean"] is True
    bad = httpx.post(server + "/classify", json={"id": "bad", "patient": {"age_years": -3}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "patient.age_years"


def test_oversized_body_is_413(server):
    r = httpx.post(server + "/sparql", content="SELECT * WHERE { ?s ?p ?o } #" + "x" * 30000,
                   headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 413


def test_no_cors_headers_by_default(server):
    """The store holds clinical cases: without --cors-origin a page of another origin cannot read an
    answer (the browser withholds a response without Access-Control-Allow-Origin)."""
    r = httpx.get(server + "/sparql", params={"query": "ASK {}"}, headers={"Origin": "http://evil.example"})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    pre = httpx.options(server + "/sparql", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in pre.headers


def test_openapi_routes_never_answer_with_a_server_error(server):
    """schemathesis drives every documented route with generated requests: none may crash it."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error

    schema = schemathesis.openapi.from_url(server + "/openapi.json")
    operations = [r.ok() for r in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/sparql", "/classify", "/health"}
    for op in operations:
        @given(case=op.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(checks=[not_a_server_error])
        run()
