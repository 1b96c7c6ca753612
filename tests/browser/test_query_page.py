"""The query page (/editor) in a real browser: the saved analytics queries are listed, one loads
into YASGUI, runs against the server's own /sparql and shows rows; the CSV download carries the
query's columns; nothing on the page comes from, or goes to, another host."""

from __future__ import annotations

import csv
import io

from reasoner import DISCLAIMER

from .dom import same_origin_violations


def open_editor(page):
    page.goto("/editor")
    page.wait_for_selector("#saved-queries button")
    page.wait_for_selector("#yasgui .CodeMirror")


def load_and_run(page, name: str):
    page.click(f"#saved-queries button[data-name='{name}']")
    page.click("#yasgui .yasqe_queryButton")
    page.wait_for_selector("#yasgui .yasr table tbody tr td")


def test_saved_queries_listed_and_one_runs_to_rows(page, screenshot, live_server):
    import httpx

    open_editor(page)
    names = page.eval_on_selector_all("#saved-queries button", "bs => bs.map(b => b.dataset.name)")
    assert names == [q["name"] for q in httpx.get(live_server + "/api/analytics").json()]
    assert page.locator(".disclaimer").inner_text().strip() == DISCLAIMER
    load_and_run(page, "cases-by-urgency")
    headers = page.eval_on_selector_all("#yasgui .yasr table thead th", "ths => ths.map(t => t.textContent.trim())")
    assert "level" in headers and "cases" in headers, headers
    rows = page.locator("#yasgui .yasr table tbody tr")
    assert rows.count() >= 2  # the store's cases reach more than one level
    assert "urgency" in page.locator("#yasgui .CodeMirror").inner_text()
    screenshot("editor-cases-by-urgency")
    assert same_origin_violations(page) == []
    assert not [e for e in page.console_errors if "Content Security Policy" in e], page.console_errors


def test_csv_download_has_the_query_columns(page, screenshot):
    open_editor(page)
    load_and_run(page, "cases-by-urgency")
    with page.expect_download() as info:
        page.click("#download-csv")
    download = info.value
    assert download.suggested_filename == "cases-by-urgency.csv"
    rows = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8").read())))
    assert rows[0] == ["level", "cases"]
    assert len(rows) >= 3
    page.wait_for_selector("#status:has-text('CSV downloaded')")
    screenshot("editor-csv-downloaded")


def test_no_query_or_result_kept_in_browser_storage(page, screenshot):
    """Results are case data: YASGUI's persistence is off, so none is left in localStorage."""
    open_editor(page)
    load_and_run(page, "red-flag-frequency")
    screenshot("editor-red-flag-frequency")
    stored = page.evaluate("() => JSON.stringify(Object.assign({}, localStorage, sessionStorage))")
    assert "red-flag" not in stored and "SELECT" not in stored, stored[:500]
