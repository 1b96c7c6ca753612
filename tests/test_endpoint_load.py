"""`dorsum serve` under load (issue 14 item 13): a stalled client is disconnected within the request
timeout, connections beyond the cap are refused while the open ones are served, and short queries
keep getting answers while long ones occupy the workers. Each starts its own server (test_server.serving)."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest
from click.testing import CliRunner

from conftest import ROOT
from reasoner.cli import main
from test_server import serving

# three unrelated triple patterns over the whole store: billions of combinations even over the
# examples, so it runs until the server's time limit stops it
EXPENSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = tmp_path_factory.mktemp("load") / "store"
    assert CliRunner().invoke(main, ["load", str(ROOT / "examples"), "--store", str(store)]).exit_code == 0
    return store


def _address(base: str) -> tuple[str, int]:
    host, port = base.removeprefix("http://").split(":")
    return host, int(port)


def _closed_within(sock: socket.socket, seconds: float) -> tuple[float | None, bytes]:
    """How long until the server closes `sock` (None: still open after `seconds`), and what it sent."""
    sock.settimeout(0.2)
    start, got = time.monotonic(), b""
    while time.monotonic() - start < seconds:
        try:
            data = sock.recv(4096)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return time.monotonic() - start, got
        if not data:
            return time.monotonic() - start, got
        got += data
    return None, got


def test_a_client_that_stalls_mid_header_or_mid_body_is_disconnected(store):
    with serving(store, "--header-timeout", "1.5") as base:
        host, port = _address(base)
        header = socket.create_connection((host, port))
        header.sendall(f"GET /health HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: sl".encode())
        body = socket.create_connection((host, port))
        body.sendall(f"POST /sparql HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/sparql-query\r\n"
                     "Content-Length: 200\r\n\r\nASK {".encode())
        silent = socket.create_connection((host, port))  # connects and never sends a byte
        try:
            for sock in (header, body, silent):
                after, got = _closed_within(sock, 6)
                assert after is not None and after < 4, "the server still holds a stalled connection"
                if sock is not silent:
                    assert got.startswith(b"HTTP/1.1 408"), got[:100]
        finally:
            for sock in (header, body, silent):
                sock.close()
        # a client that sends its request in time is unaffected, and its connection is reused
        with httpx.Client() as client:
            assert client.get(base + "/health").status_code == 200
            time.sleep(1)
            assert client.post(base + "/sparql", data={"query": "ASK {}"}).status_code == 200


def test_connections_beyond_the_cap_are_refused_while_open_ones_are_served(store):
    with serving(store, "--max-connections", "4", "--header-timeout", "30") as base:
        host, port = _address(base)
        time.sleep(0.5)  # the start-up probe's connection is gone
        with httpx.Client() as client:
            assert client.get(base + "/health").status_code == 200  # connection 1, kept alive
            held = [socket.create_connection((host, port)) for _ in range(3)]  # connections 2-4: idle
            time.sleep(0.3)
            extra = [socket.create_connection((host, port)) for _ in range(5)]
            try:
                for sock in extra:
                    after, got = _closed_within(sock, 3)
                    assert after is not None, "a connection beyond the cap was kept open"
                    assert got == b"" or got.startswith(b"HTTP/1.1 503"), got[:100]
                for sock in held:  # the ones within the cap are still open
                    assert _closed_within(sock, 0.3)[0] is None
                r = client.get(base + "/health")  # the same kept-alive connection, within the cap
                assert r.status_code == 200 and r.json()["status"] == "ok"
            finally:
                for sock in held + extra:
                    sock.close()
        time.sleep(0.5)
        assert httpx.get(base + "/health").status_code == 200  # room again once they close


def test_short_queries_are_answered_while_long_ones_occupy_the_workers(store):
    with serving(store, "--workers", "2", "--timeout", "9", "--long-query", "1", "--queue-wait", "10") as base:
        long_answers = []

        def expensive():
            t = time.monotonic()
            r = httpx.post(base + "/sparql", data={"query": EXPENSIVE}, timeout=60)
            long_answers.append((time.monotonic() - t, r.status_code, r.headers.get("retry-after"), r.text))

        threads = [threading.Thread(target=expensive) for _ in range(2)]
        for t in threads:
            t.start()
        time.sleep(2.5)  # both workers took an expensive query; both have run past --long-query
        assert long_answers == [], "a long query was stopped while no other query waited"
        for _ in range(3):
            t = time.monotonic()
            r = httpx.post(base + "/sparql", data={"query": "ASK {}"}, timeout=30,
                           headers={"Accept": "application/sparql-results+json"})
            took = time.monotonic() - t
            assert r.status_code == 200 and r.json()["boolean"] is True, r.text
            assert took < 5, f"a short query waited {took:.1f} s behind long ones"
        for t in threads:
            t.join(timeout=30)
        # one long query ran to the time limit; the other, long while the first was, was stopped as
        # soon as a short query waited for a worker
        long_answers.sort()
        (stopped, *_), (ran, *_) = long_answers
        assert [a[1] for a in long_answers] == [503, 503]
        assert ran > 8, "the expensive query is not expensive: the test proves nothing"
        assert stopped < 5 and long_answers[0][2] is not None and "long" in long_answers[0][3]
