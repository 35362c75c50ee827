"""The marker of a result's own URL: never part of a key, never a way off the site."""

from __future__ import annotations

import pytest
from django.http import (
    FileResponse,
    HttpResponse,
    HttpResponseNotModified,
    JsonResponse,
    StreamingHttpResponse,
)
from django.test import RequestFactory

from django_rq_poll.web import pages
from django_rq_poll.web.delivery import (
    deliver_url,
    discard,
    is_delivery,
    is_download,
    is_page,
    local,
    navigates,
    target,
    without_marker,
)


@pytest.mark.parametrize(
    ("url", "page"),
    [
        ("/f/?rq_poll_deliver=1", "/f/"),
        ("/f/?a=1&rq_poll_deliver=1", "/f/?a=1"),
        ("/f/?rq_poll_deliver=1&a=1&b=2", "/f/?a=1&b=2"),
        ("/f/?a=1", "/f/?a=1"),
        ("/f/?rq_poll_deliver=10", "/f/?rq_poll_deliver=10"),  # not the marker
        ("/f/?x=rq_poll_deliver=1", "/f/?x=rq_poll_deliver=1"),
        ("/f/rq_poll_deliver=1", "/f/rq_poll_deliver=1"),  # not in a query
        ("/f/?rq_poll_deliver=1&next=?", "/f/?next=?"),  # the query starts at the first "?"
    ],
)
def test_without_marker(url, page):
    assert without_marker(url) == page


def test_marker_is_never_part_of_the_key():
    assert pages.polling_key("/f/?a=1&rq_poll_deliver=1", None) == "/f/?a=1"
    assert pages.polling_key(deliver_url("/f/?a=#x"), None) == "/f/?a=%23x"


def test_deliver_url_round_trips():
    for page in ("/f/", "/f/?a=1", "/f/?a=1&b="):
        assert without_marker(deliver_url(page)) == page


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("//evil.example/f/", "/evil.example/f/"),
        ("/\\evil.example/f/", "/evil.example/f/"),
        ("///evil.example/", "/evil.example/"),
        ("//XX.example/f/", "/XX.example/f/"),  # only slashes are stripped
        ("/f/?next=//evil.example", "/f/?next=//evil.example"),
    ],
)
def test_automatic_requests_stay_on_the_site(url, safe):
    assert local(url) == safe
    assert deliver_url(url).startswith(safe)


def test_a_response_without_a_content_type_is_no_page():
    assert is_page(HttpResponseNotModified()) is False  # Django drops its Content-Type
    assert is_page(HttpResponse("<p>ok</p>")) is True


@pytest.mark.parametrize(
    "response",
    [
        JsonResponse({"area": 3}),  # a 200 that is no HTML
        HttpResponse("<p>gone</p>", status=404),  # HTML that is no 200
        StreamingHttpResponse(iter([b"<p>"]), content_type="text/html"),  # streamed
    ],
)
def test_only_a_whole_html_200_takes_the_running_pages_place(response):
    assert is_page(response) is False


@pytest.mark.parametrize(
    ("query", "delivery"),
    [
        ("rq_poll_deliver=1", True),
        ("rq_poll_deliver=0", False),
        ("rq_poll_deliver=", False),
        ("rq_poll_deliver=1x", False),
        ("a=1", False),
        ("", False),
    ],
)
def test_only_the_marker_asks_for_the_result_itself(query, delivery):
    assert is_delivery(RequestFactory().get(f"/f/?{query}")) is delivery


@pytest.mark.parametrize(
    ("accept", "browser"),
    [
        ("text/html,application/xhtml+xml,*/*;q=0.8", True),
        ("application/json", False),
        ("*/*", False),  # curl, fetch() without an Accept of its own
        (None, False),
    ],
)
def test_a_browser_navigating_names_html(accept, browser):
    headers = {} if accept is None else {"Accept": accept}
    assert navigates(RequestFactory().get("/f/", headers=headers)) is browser


@pytest.mark.parametrize(
    ("status", "found"),
    [
        (300, "/elsewhere/"),
        (302, "/elsewhere/"),
        (399, "/elsewhere/"),
        (201, "/page/"),  # a Location that is no redirect: the page answers the result
        (400, "/page/"),
    ],
)
def test_only_a_redirect_sends_the_browser_to_its_location(status, found):
    response = HttpResponse(status=status, headers={"Location": "/elsewhere/"})
    assert target(response, "/page/") == found


def test_a_file_is_found_at_the_pages_delivery_url():
    assert target(_attachment(), "/page/?a=1") == "/page/?a=1&rq_poll_deliver=1"
    assert target(JsonResponse({}), "//page/") == "/page/"  # shown as it is, on this site


class _ReadOnly:
    """A file-like object FileResponse streams that has nothing to close."""

    def read(self, size=-1):
        return b""


def test_discarding_a_file_response_closes_what_can_be_closed():
    opened = FileResponse(open(__file__, "rb"))  # noqa: SIM115 (discard closes it)
    discard(opened)
    assert opened.file_to_stream.closed
    discard(FileResponse(_ReadOnly()))  # nothing to close: no error
    discard(HttpResponse("not a file"))


def _attachment() -> HttpResponse:
    response = HttpResponse("a,b\n", content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="a.csv"'
    return response


@pytest.mark.parametrize(
    ("make", "download"),
    [
        (_attachment, True),  # named a file, though not streamed
        (lambda: StreamingHttpResponse(iter([b"a,b\n"]), content_type="text/csv"), True),
        (lambda: StreamingHttpResponse(iter([b"<p>"]), content_type="text/html"), False),
        (lambda: HttpResponse("a,b\n", content_type="text/csv"), False),  # shown as it is
    ],
)
def test_a_download_is_a_named_file_or_a_stream_of_anything_but_html(make, download):
    assert is_download(make()) is download
