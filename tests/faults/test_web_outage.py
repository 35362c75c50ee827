"""A private redis-server killed and started again while pages are requested.

While it is down the mixin page, the decorator page, the "try again" POST and the
status endpoint answer 503 with ``Retry-After`` (never a 500 or a trace), and the htmx
partial a 200 fragment that says the connection is lost (htmx swaps no 503);
once it is back the same pages work again in the same Django process, and no URL
points at a job that was never enqueued.
"""

from __future__ import annotations

import logging
import random
import threading
import time

import pytest
import redis
from django.test import RequestFactory

from django_rq_poll.drivers import backends
from django_rq_poll.middleware import RedisUnavailableMiddleware
from django_rq_poll.web.pages import RETRY_FIELD
from tests.faults.helpers import (
    Transition,
    durable_server,
    kill_repeatedly,
    mappings_point_at_enqueued_jobs,
    server_was,
)
from tests.faults.web import client, problems
from tests.workers import BurstWorker, InProcessWorker

KIND = "page: redis stopped"
PAGES = {"/sum/?x=3&y=4": "<p>Sum: 7</p>", "/plus-one/41/": "plus one: 42"}


def _status(task_id: str) -> str:
    return f"/rq-poll/status/{task_id}/"


def _requests(task_ids: dict[str, str], fresh: str):
    """Every kind of request a polling site answers, as (label, callable)."""
    browser = client()
    for page in PAGES:
        yield f"GET {page}", lambda page=page: browser.get(page)
        yield f"HEAD {page}", lambda page=page: browser.head(page)
        yield f"htmx {page}", lambda page=page: browser.get(page, HTTP_HX_REQUEST="true")
        yield f"retry {page}", lambda page=page: browser.post(page, {RETRY_FIELD: "1"})
        yield f"status {page}", lambda page=page: browser.get(_status(task_ids[page]))
    yield "GET never requested", lambda: browser.get(fresh)
    yield "GET async view", lambda: browser.get("/async/")


def test_pages_while_redis_is_down_and_after(private_redis, use_redis, tally):
    server = durable_server(private_redis)
    backend = use_redis(server.url)
    browser = client()
    task_ids = {}
    for page in PAGES:
        first = browser.get(page)
        assert first.status_code == 202
        task_ids[page] = first.context["task_id"]
    fresh = f"/sum/?x={random.randrange(10**6)}&y=0"

    server.stop()
    tally.fault(KIND)
    for label, request in _requests(task_ids, fresh):
        response = request()
        htmx = label.startswith("htmx")
        wrong = problems(response, {200} if htmx else {503})
        if htmx and "connection to the server was lost" not in response.content.decode():
            wrong.append("htmx fragment does not say the connection is lost")
        tally.answer(KIND, not wrong, f"{label}: {wrong}")

    server.start()
    assert backends.backend() is backend  # the same cached clients, nothing reconfigured
    for page in PAGES:
        again = browser.get(page)
        ok = again.status_code == 202 and again.context["task_id"] == task_ids[page]
        tally.answer(KIND, ok, f"{page} after restart: {again.status_code}")
        status = browser.get(_status(task_ids[page]))
        tally.answer(KIND, status.status_code == 200, f"status after restart: {status}")
    started = browser.get(fresh)
    tally.answer(KIND, started.status_code == 202, f"fresh page after restart: {started}")
    BurstWorker([backend.queue], connection=backend.connection).work(burst=True)
    for page, text in PAGES.items():
        done = browser.get(page)
        ok = done.status_code == 200 and text in done.content.decode()
        tally.answer(KIND, ok, f"{page} result after restart: {done.content[:80]!r}")
    assert mappings_point_at_enqueued_jobs(server.client()) == []
    tally.assert_clean(KIND)


def test_pages_while_redis_is_killed_again_and_again(private_redis, use_redis, tally, settings):
    """A request made while the server is up gets 202, one made while it is down 503;
    one that a kill or a restart overlaps gets either. Never 500, never a trace."""
    kind = "page: redis killed mid-use"
    # One browser, hundreds of pages: the per-visitor cap (tests/abuse) would answer 429.
    settings.RQ_POLL = {**settings.RQ_POLL, "MAX_ACTIVE_JOBS": None}  # before use_redis
    server = durable_server(private_redis)
    backend = use_redis(server.url)
    done = threading.Event()
    codes: dict[int, int] = {}
    requested: list[str] = []
    answers: list[tuple[float, float, str, int, list[str]]] = []
    transitions: list[Transition] = []

    def browse() -> None:
        browser = client()
        n = 0
        while not done.is_set():
            page = f"/sum/?x={n}&y=1" if n % 2 else f"/plus-one/{n}/"
            n += 1
            for _ in range(2):  # the second request finds the job the first one began
                began = time.monotonic()
                response = browser.get(page)
                ended = time.monotonic()
                codes[response.status_code] = codes.get(response.status_code, 0) + 1
                found = problems(response, {202, 503})
                answers.append((began, ended, page, response.status_code, found))
                if response.status_code == 202:
                    requested.append(page)

    thread = threading.Thread(target=browse)
    thread.start()
    try:
        kill_repeatedly(server, tally, kind, seed=7, most_gap=0.5, transitions=transitions)
    finally:
        done.set()
        thread.join(timeout=60)
    overlapped = 0
    for began, ended, page, code, found in answers:
        up = server_was(transitions, began, ended)
        overlapped += up is None
        if up is not None and code != (202 if up else 503):
            found = [*found, f"status {code} while the server was {'up' if up else 'down'}"]
        tally.answer(kind, not found, f"{page}: {found}")
    tally.notes[f"{kind}: requests a kill or restart overlapped"] = overlapped
    for problem in mappings_point_at_enqueued_jobs(server.client()):
        tally.answer(kind, False, problem)
    # Every page that said "running" runs to its result once a worker comes (a
    # non-forking one: hundreds of tiny jobs).
    InProcessWorker([backend.queue], connection=backend.connection).work(burst=True)
    browser = client()
    for page in sorted(set(requested))[:20]:
        response = browser.get(page)
        tally.answer(kind, response.status_code == 200, f"{page}: {response.status_code}")
    tally.notes[f"{kind}: answers by status"] = {str(k): v for k, v in sorted(codes.items())}
    assert codes.get(202) and codes.get(503)
    tally.assert_clean(kind)


MIDDLEWARE = "django_rq_poll.middleware.RedisUnavailableMiddleware"


@pytest.mark.parametrize("middleware", [True, False])
def test_other_pages_that_read_redis_answer_503_with_the_middleware(
    private_redis, use_redis, settings, middleware
):
    server = private_redis()
    use_redis(server.url)
    if middleware:
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]
    browser = client()
    pages = ("/status-tag/", "/status-tag-template/", f"/direct-redis/?url={server.url}")
    for page in pages:
        assert browser.get(page).status_code == 200
    server.stop()
    for page in pages:
        response = browser.get(page)
        if middleware:
            assert problems(response, {503}) == [], page
            assert "Temporarily unavailable" in response.content.decode()
        else:
            assert response.status_code == 500  # what a site without it answers


def test_the_middleware_logs_what_redis_py_raised_as_an_outage_of_the_sites_redis(caplog):
    """A page's own redis-py call met the outage: the 503 is logged for operators with
    Redis' words, naming no address (the middleware cannot know which client it was)."""
    request = RequestFactory().get("/direct-redis/")
    lost = redis.ConnectionError("Error 111 connecting to 127.0.0.1:1. Connection refused.")
    with caplog.at_level(logging.WARNING, logger="django_rq_poll"):
        response = RedisUnavailableMiddleware(lambda request: None).process_exception(request, lost)
    assert response.status_code == 503 and response["Retry-After"]
    (record,) = [r for r in caplog.records if r.name.startswith("django_rq_poll")]
    assert record.levelname == "WARNING"
    assert "Redis is unreachable at the site's Redis." in record.getMessage()


@pytest.fixture(autouse=True)
def _no_default_backend_leak():
    yield
    backends.clear_cache()
