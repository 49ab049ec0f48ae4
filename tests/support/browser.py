"""Debian's Chromium, headless, driven by Playwright for the browser journeys.

Playwright never downloads a browser here: it launches the system's `/usr/bin/chromium` (`CHROMIUM`
to point elsewhere). Without one the browser tests skip with one line, or fail under
REQUIRE_SERVICES=1 (CI, whose `.ci/run` installs it from Debian's packages first)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.service import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page, ViewportSize

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# Offline and quiet: no GPU, no QUIC, no first-run, update, sync or background traffic.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT: ViewportSize = {"width": 1200, "height": 800}
SCREENSHOTS = ROOT / "docs" / "screenshots"


def require_chromium() -> None:
    """At a browser test module's top: skip the whole module, in one line, when there is no browser."""
    if not CHROMIUM.exists():
        message = f"no browser at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"{message} and REQUIRE_SERVICES=1", pytrace=False)
        pytest.skip(message, allow_module_level=True)


@contextmanager
def chromium() -> Iterator[Browser]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page: Page, name: str) -> None:
    """Refresh the README's picture `docs/screenshots/<name>.png` when UPDATE_SCREENSHOTS=1 asks: the
    pictures hold ids and times that change every run, and a test run leaves the tree as it was."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def reload_until(page: Page, locator: Locator, text: str, timeout: float = 15.0) -> None:
    """Reload `page` until `locator` shows `text`: for pages that show what a webhook changed, and
    (unlike the success page) do not wait for it themselves."""
    from playwright.sync_api import expect

    deadline = time.monotonic() + timeout
    while True:
        try:
            expect(locator).to_contain_text(text, timeout=1000)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            page.reload()
