"""What one visitor requested is never shown to another, and no URL this app writes can
lead off the site."""

from __future__ import annotations

import gc
import io
import re
import tracemalloc
import uuid

import pytest
from django.core.management import call_command

import django_rq_poll as poll
from django_rq_poll.core import keys
from django_rq_poll.web.pages import RETRY_FIELD
from tests import tasks
from tests.faults.web import body, client, problems

pytestmark = pytest.mark.urls("tests.faults.views")

# A path a catch-all route accepts and a browser would read as another host.
HOSTILE_PATHS = ("//evil.example/x", "/\\evil.example/x", "///evil.example/x")
URL_ATTRIBUTES = re.compile(r'\b(action|hx-post|hx-get)="([^"]*)"')


def _stays_on_site(url: str) -> bool:
    return url.startswith("/") and url[1:2] not in ("/", "\\")


def _written_urls(response) -> list[str]:
    urls = [value for _name, value in URL_ATTRIBUTES.findall(body(response))]
    for header in ("Location", "HX-Redirect"):
        if response.has_header(header):
            urls.append(response[header])
    return urls


def test_status_endpoint_never_shows_another_visitors_url(tally):
    kind = "leak: another visitor's URL"
    secret = f"A-PRIVATE-{uuid.uuid4().hex[:8]}"
    first = client().get(f"/custom/?q=pub&reset_token={secret}")
    task_id = first.context["task_id"]
    second = client()
    page = second.get("/custom/?q=pub")
    tally.fault(kind)
    tally.answer(kind, page.context["task_id"] == task_id, "the key was not shared")
    for response in (page, second.get(f"/rq-poll/status/{task_id}/")):
        found = problems(response, {200, 202}, secrets=[secret, "reset_token"])
        tally.answer(kind, not found, f"{response.request['PATH_INFO']}: {found}")
    assert second.get(f"/rq-poll/status/{task_id}/").json()["url"] == "/custom/?q=pub"
    tally.assert_clean(kind)


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_no_written_url_leaves_the_site(path, run_jobs, tally):
    kind = "reflection: leading slashes"
    browser = client()
    # PATH_INFO as a server passes it: the test client would read "//host" as a host.
    get = lambda **extra: browser.get("/", PATH_INFO=path, **extra)  # noqa: E731
    answers = {"running": get(), "htmx running": get(HTTP_HX_REQUEST="true")}
    assert answers["running"].status_code == 202, answers["running"]
    run_jobs()
    answers["failed"] = get()
    answers["htmx failed"] = get(HTTP_HX_REQUEST="true")
    answers["retry"] = browser.post("/", {RETRY_FIELD: "1"}, PATH_INFO=path)
    tally.fault(kind)
    for label, response in answers.items():
        written = _written_urls(response)
        if label != "running":  # the full running page reloads itself, it writes none
            tally.answer(kind, bool(written), f"{path} {label}: no URL written")
        for url in written:
            tally.answer(kind, _stays_on_site(url), f"{path} {label}: wrote {url!r}")
    tally.assert_clean(kind)


def _retained_by_url_cache(urls) -> int:
    """Bytes still allocated after hashing each URL once (the URLs themselves dropped)."""
    keys._cached_url_key_bytes.cache_clear()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for url in urls:
            keys.url_key_bytes(url)
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        keys._cached_url_key_bytes.cache_clear()


def test_url_key_cache_keeps_no_long_urls(tally):
    """1,000 URLs of 100 kB each: before the fix the cache held 100 MB of them."""
    kind = "leak: URL key cache"
    retained = _retained_by_url_cache(f"/{i:05}/?q={'x' * 100_000}" for i in range(1000))
    tally.fault(kind)
    tally.answer(kind, retained < 1_000_000, f"kept {retained:,} bytes for 1,000 long URLs")
    tally.notes[f"{kind}: bytes kept for 1,000 URLs of 100 kB"] = retained
    tally.assert_clean(kind)


def test_url_key_cache_is_bounded_for_short_urls(tally):
    """The most it can hold: CACHED_URLS entries of CACHED_URL_CHARS non-ASCII characters."""
    kind = "leak: URL key cache"
    count = 3 * keys.CACHED_URLS
    width = keys.CACHED_URL_CHARS - 6
    retained = _retained_by_url_cache(f"/{i:05}" + "\U0001f600" * width for i in range(count))
    tally.fault(kind)
    tally.answer(kind, retained < 8_000_000, f"kept {retained:,} bytes for {count} URLs")
    tally.notes[f"{kind}: most bytes kept (full cache, 4-byte characters)"] = retained
    tally.assert_clean(kind)


ESCAPES = "\x1b[2J\x1b]0;owned\x07\x1b[1;31mred\u202eevil\x9b31m"


def test_rqpoll_escapes_terminal_sequences(run_jobs):
    """Error texts, progress messages and URLs reach the operator's terminal escaped."""
    url = f"/term/{uuid.uuid4().hex}/{ESCAPES}"
    failed = poll.begin_process(tasks.fail, (f"boom {ESCAPES}\nsecond line",), polling_url=url)
    reported = poll.begin_process(tasks.report_values, ((1, 2, f"step {ESCAPES}"),))
    run_jobs()
    shown = _rqpoll("show", failed) + _rqpoll("show", reported) + _rqpoll("list")
    shown += _rqpoll("forget", failed)
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert "\u202e" not in shown
    assert "boom \\x1b[2J\\x1b]0;owned\\x07" in shown
    assert "step \\x1b[2J" in shown
    assert "\\u202eevil" in shown
    assert "second line" in shown.split("boom", 1)[1].splitlines()[1]  # newlines kept


def _rqpoll(*args: str) -> str:
    out = io.StringIO()
    call_command("rqpoll", *args, stdout=out, no_color=True)
    return out.getvalue()
