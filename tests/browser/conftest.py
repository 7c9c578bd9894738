"""Browser tests: the real site in Debian's headless chromium, driven by Playwright.

Chromium comes from the distribution (``apt-get install chromium``), never from
``playwright install``.  Without it the tests skip on a developer machine and *fail* under
``CI=true``, so CI can never pass by silently skipping them.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: end-to-end tests in headless chromium (Playwright)")


def chromium_executable() -> str | None:
    """``LEADERBOARD_CHROMIUM`` if set (only it), else Debian's /usr/bin/chromium or one on PATH."""
    chosen = os.environ.get("LEADERBOARD_CHROMIUM")
    candidates = [chosen] if chosen else ["/usr/bin/chromium", shutil.which("chromium")]
    return next((c for c in candidates if c and Path(c).exists()), None)


def _missing(what: str) -> None:
    message = f"{what}; install it with 'apt-get update && apt-get install -y chromium' (Debian) and the 'test' extra"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    executable = chromium_executable()
    if executable is None:
        _missing("chromium is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def live_site(tmp_path_factory):
    """The site on a free local port, over a database seeded with the fixture board."""
    from werkzeug.serving import make_server

    from tests.browser.seeding import seeded_copy
    from web import create_app

    db_url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'board.db'}"
    seeded = seeded_copy(db_url)
    server = make_server("127.0.0.1", 0, create_app(db_url), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", seeded
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    yield page
    context.close()
    assert errors == [], f"errors in the browser console: {errors}"
