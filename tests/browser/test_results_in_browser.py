"""Real Chromium against the test site (live server, real rqworker), polling with real
htmx 2 (vendored from the npm registry, see static/README.md), with poll.js, and
without JavaScript.

A file result is downloaded exactly once and the page then says it is ready, with a
link to fetch it again; a running page open while Redis is unreachable says the
connection is lost, and comes back when Redis does.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import Queue

from django_rq_poll.drivers import backends
from tests.browser.urls import PACKAGE_STATIC, files_served

pytestmark = pytest.mark.urls("tests.browser.urls")

READY = "Your file is ready; its download starts by itself."
LOST = "The connection to the server was lost. Trying again…"
WAITING = "This process is waiting to start: it is number 1 in the queue."
DELIVER = "/file/?rq_poll_deliver=1"
POLL_SECONDS = 1


@pytest.fixture(scope="module", autouse=True)
def _sync_calls_beside_playwright() -> Iterator[None]:
    """The live server's database set-up and flush run in this thread, where Playwright's
    sync API keeps an event loop open (only to talk to the browser; no Django code runs
    in it), so Django's guard against sync calls from async code must stand aside."""
    old = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if old is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = old


@pytest.fixture
def site(live_server: Any, settings: Any) -> str:
    settings.RQ_POLL = {
        "QUEUE": "default",
        "POLL_INTERVAL": POLL_SECONDS,
        "POLL_MAX_INTERVAL": POLL_SECONDS,
        "RETRY_AFTER": POLL_SECONDS,
    }
    settings.STATIC_ROOT = str(PACKAGE_STATIC)  # the live server serves /static/ from it
    files_served.clear()
    return str(live_server.url)


def downloads_of(page: Any) -> list[Any]:
    found: list[Any] = []
    page.on("download", lambda download: found.append(download))
    return found


def settle(page: Any, downloads: list[Any]) -> None:
    """Wait for the one download, then several poll intervals more: a client that
    fetches the file again (htmx following HX-Redirect on every poll) would have."""
    for _ in range(100):
        if downloads:
            break
        page.wait_for_timeout(100)  # lets Playwright deliver its events, unlike sleep()
    page.wait_for_timeout(4 * POLL_SECONDS * 1000)


def assert_got_the_file_once(page: Any, downloads: list[Any]) -> None:
    settle(page, downloads)
    assert [d.suggested_filename for d in downloads] == ["answer.csv"]
    assert Path(downloads[0].path()).read_bytes() == b"answer,42\n"
    assert files_served == [DELIVER]
    assert page.get_by_text(READY).is_visible()
    link = page.get_by_role("link", name="Download it again")
    assert link.get_attribute("href") == DELIVER


def test_htmx_2_downloads_a_file_result_once(site: str, browser: Any, rqworker: Any) -> None:
    rqworker("default")
    context = browser.new_context()
    page = context.new_page()
    downloads = downloads_of(page)
    page.goto(f"{site}/htmx-host/?target=/file/")
    page.get_by_text(READY).wait_for(timeout=30_000)
    assert_got_the_file_once(page, downloads)
    assert page.locator("h1").inner_text() == "htmx host"  # swapped in place
    assert page.evaluate("() => htmx.version").startswith("2.")
    context.close()


def test_poll_js_downloads_a_file_result_once(site: str, browser: Any, rqworker: Any) -> None:
    rqworker("default")
    context = browser.new_context()
    page = context.new_page()
    downloads = downloads_of(page)
    assert page.goto(f"{site}/file/").status == 202
    assert page.evaluate("() => document.querySelector('[data-rq-poll]').rqPoll !== undefined")
    page.get_by_text(READY).wait_for(timeout=30_000)
    assert page.locator("h1").inner_text() == "Your file is ready"
    assert_got_the_file_once(page, downloads)
    context.close()


def test_without_javascript_downloads_a_file_result_once(
    site: str, browser: Any, rqworker: Any
) -> None:
    rqworker("default")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    downloads = downloads_of(page)
    assert page.goto(f"{site}/file/").status == 202
    page.get_by_text(READY).wait_for(timeout=30_000)
    assert_got_the_file_once(page, downloads)
    context.close()


def test_a_page_whose_script_cannot_load_still_reaches_its_result(
    site: str, browser: Any, rqworker: Any
) -> None:
    """poll.js blocked (as under an ASGI server that serves no static files): the
    running page reloads itself until the result shows, instead of never moving."""
    rqworker("default")
    context = browser.new_context()
    page = context.new_page()
    page.route("**/poll.js", lambda route: route.abort())
    assert page.goto(f"{site}/sum/?x=40&y=2").status == 202
    page.get_by_text("Sum: 42").wait_for(timeout=30_000)
    context.close()


def cut_redis(monkeypatch: Any) -> None:
    """The live server (a thread of this process) now finds no Redis."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    # Nothing listens on port 1: no retries (redis-py 6+ retries a refused connection
    # with backoff, about 4 s per command on 8.x, which only slows the test down).
    dead_client = redis.Redis(port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    dead = Queue("default", connection=dead_client)
    backend = backends.Backend(dead)
    monkeypatch.setitem(backends._backends, "default", backend)
    monkeypatch.setattr(backends, "_default", backend)


@pytest.mark.parametrize("client", ["poll.js", "htmx"])
def test_page_says_the_connection_is_lost_then_recovers(
    site: str, browser: Any, monkeypatch: Any, client: str
) -> None:
    context = browser.new_context()
    page = context.new_page()
    if client == "htmx":
        page.goto(f"{site}/htmx-host/?target=/sum/")
    else:
        page.goto(f"{site}/sum/")
    status = page.locator("[data-rq-poll-status]")
    page.get_by_text(WAITING).wait_for(timeout=30_000)  # no worker: it waits, truthfully
    cut_redis(monkeypatch)
    page.get_by_text(LOST).wait_for(timeout=30_000)
    assert status.inner_text() == LOST
    monkeypatch.undo()  # Redis is back
    page.get_by_text(WAITING).wait_for(timeout=30_000)
    assert status.inner_text() == WAITING
    context.close()


def test_htmx_2_follows_a_redirect_result_once(site: str, browser: Any, rqworker: Any) -> None:
    rqworker("default")
    context = browser.new_context()
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{site}/htmx-host/?target=/redirect/")
    page.wait_for_url(f"{site}/done/42/", timeout=30_000)  # the redirect's target (a 404 here)
    page.wait_for_timeout(4 * POLL_SECONDS * 1000)
    assert page.url == f"{site}/done/42/"
    assert requests.count(f"{site}/done/42/") == 1
    assert requests.count(f"{site}/redirect/?rq_poll_deliver=1") == 1
    context.close()


def test_htmx_2_shows_the_cap_and_starts_once_a_slot_is_free(
    site: str, browser: Any, settings: Any
) -> None:
    import django_rq_poll as poll

    settings.RQ_POLL = {**settings.RQ_POLL, "MAX_ACTIVE_JOBS": 1}
    context = browser.new_context()
    first = context.new_page()
    first.goto(f"{site}/sum/?x=1")  # the visitor's one slot: queued, no worker
    page = context.new_page()
    page.goto(f"{site}/htmx-host/?target=/sum/%3Fx%3D2")
    page.get_by_text("You already have 1 piece of work running.").wait_for(timeout=30_000)
    assert page.locator("h1").inner_text() == "htmx host"  # swapped in place
    assert poll.get_taskid_from_url("/sum/?x=2") is None  # nothing started
    assert poll.cancel_process("/sum/?x=1")  # the slot is free again
    page.get_by_text(WAITING).wait_for(timeout=30_000)  # asked again, and started
    assert poll.get_taskid_from_url("/sum/?x=2") is not None
    context.close()


# Records each pause poll.js asks for, and waits a hundredth of it: the schedule of a
# minute of polling, in well under a second, without measuring any time.
RECORD_POLL_PAUSES = """
(() => {
  const original = window.setTimeout;
  window.rqPollPauses = [];
  window.setTimeout = function (callback, delay, ...rest) {
    if (String(new Error().stack).includes("poll.js")) {
      window.rqPollPauses.push(delay);
      delay = delay / 100;
    }
    return original.call(window, callback, delay, ...rest);
  };
})();
"""


def test_the_running_page_backs_off_as_the_quick_start_says(
    site: str, browser: Any, settings: Any
) -> None:
    """docs/quickstart.rst: the script "asks the status endpoint after two seconds, then
    less and less often while nothing changes (each pause half as long again as the one
    before, up to POLL_MAX_INTERVAL, 15 seconds)". No worker: nothing ever changes."""
    settings.RQ_POLL = {"QUEUE": "default"}  # the defaults the quick start names
    context = browser.new_context()
    page = context.new_page()
    page.add_init_script(RECORD_POLL_PAUSES)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    assert page.goto(f"{site}/sum/?x=1&y=1").status == 202
    status_url = page.locator("[data-rq-poll]").get_attribute("data-rq-poll-status-url")
    page.wait_for_function("() => window.rqPollPauses.length >= 9", timeout=30_000)
    pauses = page.evaluate("() => window.rqPollPauses")
    polls = [url for url in asked if url.endswith(status_url)]
    context.close()
    # the first answer is news (the page knew no status yet); then each one is the same
    assert pauses[:9] == [2000, 2000, 3000, 4500, 6750, 10125, 15000, 15000, 15000]
    assert len(polls) >= 8  # each pause ended in a poll
