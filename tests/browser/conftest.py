"""Browser tests (issue 17): a real `dorsum serve` over a small store, driven by Debian's Chromium
through Playwright (never Playwright's own browser download). Every request to a host other than
the server is aborted and recorded, and a test that caused one fails: the pages must work offline.

Fixtures: `live_server` (session: the server's base URL), `chromium` (session: the Browser),
`page` (per test: a fresh context's Page with base_url set and the network fence; page.console_errors
lists the console's errors, CSP refusals among them),
`foreign_requests` (the fenced requests of this test's page, a list of URLs), `screenshot`
(screenshot("name") writes build/screenshots/<name>.png and returns its path).

Without Chromium or the playwright package the tests are skipped, saying why, unless
DORSUM_REQUIRE_BROWSER=1 (CI): then they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from test_server import serving  # tests/test_server.py: one way the tests start dorsum serve

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
# the cases loaded into the store: the examples and a few vignettes, so the saved queries have rows
CASES = [ROOT / "examples", *(ROOT / "tests" / "vignettes" / f"{n}.json" for n in (
    "adult-growing-lump", "adult-painful-lump", "adult-ulcerated-lump", "adult-nothing-recorded",
    "adult-ultrasound-suggestive-of-sarcoma"))]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    """$DORSUM_CHROMIUM, else Debian's /usr/bin/chromium (installed by `make browser`)."""
    chosen = os.environ.get("DORSUM_CHROMIUM")
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else shutil.which("chromium")


def unavailable(why: str):
    """Skip, or fail when the environment says the browser tests must run (CI)."""
    if os.environ.get("DORSUM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{why} (DORSUM_REQUIRE_BROWSER=1: the browser tests must run)", pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="session")
def live_server():
    """`dorsum serve` on a free loopback port over a temporary store of a few cases: its base URL."""
    with tempfile.TemporaryDirectory(prefix="dorsum-browser-") as tmp:
        store = Path(tmp) / "store"
        load = subprocess.run([sys.executable, "-m", "reasoner.cli", "load", *map(str, CASES), "--store", str(store)],
                              cwd=ROOT, capture_output=True, text=True)
        assert load.returncode == 0, load.stdout + load.stderr
        with serving(store, "--workers", "1") as base:
            yield base


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium under Playwright (sync API), with no network of its own (CHROMIUM_ARGS)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed (pip install the test extra)")
    path = chromium_path()
    if not path:
        unavailable("Chromium not found: run `make browser` (apt-get install chromium) or set DORSUM_CHROMIUM")
    with sync_playwright() as p:
        # launch() gives the browser a fresh temporary --user-data-dir of its own (and refuses one in args)
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def foreign_requests() -> list[str]:
    """The requests this test's page tried to send to another host (each was aborted)."""
    return []


@pytest.fixture
def page(chromium, live_server, foreign_requests):
    """A Page in a fresh context (no cookies or storage from other tests), base_url the server's.
    A request to any other host is aborted and recorded; the test fails at teardown if there was one."""
    own = urlsplit(live_server).netloc
    context = chromium.new_context(base_url=live_server, accept_downloads=True, service_workers="block")

    def fence(route):
        parts = urlsplit(route.request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != own:
            foreign_requests.append(route.request.url)
            return route.abort("blockedbyclient")
        return route.continue_()

    context.route("**/*", fence)
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    pg.console_errors = []  # console errors (CSP refusals among them), for tests to check
    pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))
    try:
        yield pg
    finally:
        context.close()
    assert not foreign_requests, f"the page tried to reach other hosts: {foreign_requests}"


@pytest.fixture
def screenshot(page, request):
    """screenshot(name) -> path of build/screenshots/<name>.png (a test artefact, not in git)."""
    def take(name: str | None = None, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name or request.node.name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path
    return take
