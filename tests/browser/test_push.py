"""Push in a real browser against ``make demo`` (uvicorn): the page learns of the end from
its event stream, never by polling; a killed work-horse still ends it; another user's
job is a 404; a closed page lets go of its stream; a refused stream falls back to polling.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import redis

from tests.browser.test_demo_pages import log_in
from tests.demo_process import Demo, descendants, is_rq_worker, proc_stat

STATUS = "/rq-poll/status/"
EVENTS = "/rq-poll/events/"


def record_requests(page: Any) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


def events_url(page: Any) -> str:
    return page.locator("[data-rq-poll]").get_attribute("data-rq-poll-events-url")


def numsub(url: str, channel: str) -> int:
    return int(dict(redis.Redis.from_url(url).pubsub_numsub(channel))[channel.encode()])


def test_the_result_arrives_by_push_not_by_polling(
    demo: Demo, page: Any, screenshots: Path
) -> None:
    requests = record_requests(page)
    response = page.goto(demo.base + "/report/west/")
    assert response.status == 202
    assert events_url(page).startswith(EVENTS)
    page.locator("#report-table").wait_for(timeout=60_000)
    assert page.locator("h1").inner_text() == "Sales report: West region"
    page.screenshot(path=str(screenshots / "push-report-result.png"), full_page=True)
    assert [u for u in requests if STATUS in u] == []  # not one poll
    assert len([u for u in requests if EVENTS in u]) == 1  # one stream, never reopened
    assert requests.count(demo.base + "/report/west/") == 2  # the page, then its result
    assert page.errors == []


def test_a_killed_work_horse_ends_the_page_as_failed(demo: Demo, page: Any) -> None:
    requests = record_requests(page)
    page.goto(demo.base + "/report/east/")
    page.wait_for_function(
        "() => Number(document.querySelector('progress[data-rq-poll-bar]')?.value) > 0",
        timeout=30_000,
    )
    horses = [pid for pid in descendants(demo.proc.pid) if _is_work_horse(pid)]
    assert len(horses) == 1, horses
    os.kill(horses[0], signal.SIGKILL)  # announces nothing: the stream's recheck sees it
    page.get_by_role("button", name="Try again").wait_for(timeout=30_000)
    assert page.locator("h1").inner_text() == "Something went wrong"
    assert [u for u in requests if STATUS in u] == []


def _is_work_horse(pid: int) -> bool:
    """rq's work-horse: a forked copy of the rqworker process, child of another."""
    stat = proc_stat(pid)
    return stat is not None and is_rq_worker(pid) and is_rq_worker(stat[0])


def test_another_users_job_is_a_404_on_the_events_endpoint(browser: Any, demo: Demo) -> None:
    alice, bob, anonymous = browser.new_context(), browser.new_context(), browser.new_context()
    try:
        page = alice.new_page()
        log_in(page, demo, "alice", "/mine/")
        url = events_url(page)
        assert url and url.startswith(EVENTS)
        bob_page = bob.new_page()
        log_in(bob_page, demo, "bob", "/")
        assert bob.request.get(demo.base + url).status == 404
        assert anonymous.request.get(demo.base + url).status == 404
        # Alice's own stream still ends her page with her result. Waiting for it also keeps
        # the close below from racing the reload that the end of her 2-second job starts
        # (Chromium left a context closed mid-reload hanging for 300 s once in CI).
        page.locator("#numbers").wait_for(timeout=30_000)
        assert page.locator("h1").inner_text() == "Lucky numbers for alice"
    finally:
        for context in (alice, bob, anonymous):
            context.close()


def test_a_closed_page_lets_go_of_its_stream(browser: Any, demo: Demo, settings: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(demo.base + "/report/north/")
    channel = "rq_poll:events:" + events_url(page).rstrip("/").rsplit("/", 1)[1]
    deadline = time.monotonic() + 10
    while numsub(settings.REDIS_URL, channel) != 1:
        assert time.monotonic() < deadline, "the stream never subscribed"
        time.sleep(0.05)
    context.close()  # the browser goes away mid-stream
    deadline = time.monotonic() + 10
    while numsub(settings.REDIS_URL, channel) != 0:
        assert time.monotonic() < deadline, "the server kept the stream of a closed page"
        time.sleep(0.05)


def test_a_refused_stream_falls_back_to_polling(demo: Demo, page: Any) -> None:
    page.route("**/rq-poll/events/**", lambda route: route.fulfill(status=404, body="{}"))
    requests = record_requests(page)
    page.goto(demo.base + "/add/20/22/")
    page.locator("#result").wait_for(timeout=30_000)
    assert page.locator("#result").inner_text() == "42"
    assert [u for u in requests if STATUS in u] != []  # it polled instead
