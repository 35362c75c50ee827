"""What one visitor requested is never shown to another, and no URL this app writes can
lead off the site."""

from __future__ import annotations

import re
import uuid

import pytest

from django_rq_poll.pages import RETRY_FIELD
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
