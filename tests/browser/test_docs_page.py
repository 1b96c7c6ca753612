"""/docs in a real browser, offline: Swagger UI comes from the vendored files, shows the API's
title and operations, and nothing on the page comes from, or goes to, another host (FastAPI's
default took its bundle from a CDN and sent the spec to an online validator)."""

from __future__ import annotations

from .dom import same_origin_violations


def test_docs_page_renders_offline(page, screenshot):
    page.goto("/docs")
    title = page.wait_for_selector(".swagger-ui .info .title")
    assert title.inner_text().startswith("dorsum")
    page.wait_for_selector(".swagger-ui .opblock-summary-path[data-path='/sparql']")
    assert page.title() == "dorsum - Swagger UI"
    assert page.locator(".swagger-ui .errors-wrapper").count() == 0  # the spec loaded and parsed
    assert page.locator("img[src*='validator']").count() == 0  # no validator badge
    screenshot("docs")
    assert same_origin_violations(page) == []
    assert not [e for e in page.console_errors if "Content Security Policy" in e], page.console_errors


def test_editor_and_docs_pages_link_to_each_other(page):
    page.goto("/editor")
    page.click("header a[href='/docs']")
    page.wait_for_selector(".swagger-ui .info .title")
    assert page.url.endswith("/docs")
