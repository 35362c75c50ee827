"""The marker of a result's own URL: never part of a key, never a way off the site."""

from __future__ import annotations

import pytest

from django_rq_poll.web import pages
from django_rq_poll.web.delivery import deliver_url, local, without_marker


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
        ("/f/?next=//evil.example", "/f/?next=//evil.example"),
    ],
)
def test_automatic_requests_stay_on_the_site(url, safe):
    assert local(url) == safe
    assert deliver_url(url).startswith(safe)
