"""A real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, for the console tests."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def require_browser() -> None:
    """Skip without Chromium or Playwright, except under CI, where they must be installed."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (pip install playwright)")
    if missing:
        message = "the console browser tests need " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message + "; .ci/run installs them")
        pytest.skip(message)


@contextmanager
def browser_page(timeout_ms: int = 60_000) -> Iterator[Any]:
    """One page of a browser of its own, for a test that needs only that."""
    for browser in launch():
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(timeout_ms)
        yield page


def watched_page(browser: Any, width: int, height: int, timeout_ms: int) -> Iterator[Any]:
    """A page in a browser context of its own, for a fixture to yield from; a JavaScript
    error raised on it fails the test once it is done."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.set_default_timeout(timeout_ms)
    yield page
    context.close()
    assert not errors, f"JavaScript errors in the console: {errors}"


def launch() -> Iterator[Any]:
    """A Chromium browser for one module; closed afterwards."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                             timeout=60_000)
        try:
            yield browser
        finally:
            browser.close()
