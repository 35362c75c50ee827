"""A real Chromium (Debian's, never a downloaded one) driving the demo over HTTP.

Without Chromium or Playwright the browser tests skip with the reason; with
``RQ_POLL_REQUIRE_ALL=1`` (``.ci/run``) or ``CI=true`` they fail instead, so a missing
browser can never pass unnoticed (:mod:`tests.needs`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import needs
from tests.demo_process import ROOT, Demo

CHROMIUM = os.environ.get("RQ_POLL_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Module-scoped: Playwright's sync API runs an event loop in this thread while it is
    open, and Django's async-to-sync bridges refuse to run beside one."""
    if not os.access(CHROMIUM, os.X_OK):
        needs.missing(f"no Chromium at {CHROMIUM}: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        needs.missing("playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def demo(tmp_path: Path, settings: Any) -> Iterator[Demo]:
    """The demo site as ``make demo`` runs it: dev server plus a real rqworker."""
    running = Demo(tmp_path, settings.REDIS_URL)
    try:
        running.wait_until_up()
        yield running
    finally:
        running.interrupt() if running.proc.poll() is None else None
        running.kill()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context and page; console errors and page errors are collected."""
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    page = context.new_page()
    page.errors = []  # (message, URL it is about)

    def on_console(msg: Any) -> None:
        if msg.type == "error":
            page.errors.append((f"console: {msg.text}", msg.location.get("url", "")))

    page.on("console", on_console)
    page.on("pageerror", lambda exc: page.errors.append((f"page error: {exc}", page.url)))
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
