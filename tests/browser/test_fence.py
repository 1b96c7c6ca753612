"""The browser tests' own network fence: a request to another host never leaves the browser, and
is recorded so that the test that caused it fails (conftest's `page` fixture)."""

from __future__ import annotations


def test_a_foreign_request_is_aborted_and_recorded(page, foreign_requests, screenshot):
    page.goto("/health")  # a JSON answer: no Content-Security-Policy stops the fetch before the fence does
    outcome = page.evaluate("""() => fetch("http://example.invalid/probe").then(() => "answered", e => "refused")""")
    assert outcome == "refused"
    assert foreign_requests == ["http://example.invalid/probe"]
    screenshot("fence")
    foreign_requests.clear()  # recorded as it should be: not a failure of this test


def test_the_pages_csp_stops_a_foreign_fetch_before_the_network(page, foreign_requests):
    page.goto("/editor")
    outcome = page.evaluate("""() => fetch("http://example.invalid/probe").then(() => "answered", e => "refused")""")
    assert outcome == "refused" and foreign_requests == []  # connect-src 'self': never even attempted
    assert any("Content Security Policy" in e for e in page.console_errors)
