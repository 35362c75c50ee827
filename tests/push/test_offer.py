"""Whether a page offers its job's event stream (push) or polls."""

from __future__ import annotations

from django.test import AsyncRequestFactory, RequestFactory, override_settings

from django_rq_poll.push import offer


def test_a_page_under_asgi_gets_the_streams_url():
    request = AsyncRequestFactory().get("/page/")
    assert offer.available(request)
    assert offer.events_url(request, "abc") == "/rq-poll/events/abc/"  # tests/urls.py


def test_a_page_under_wsgi_polls():
    request = RequestFactory().get("/page/")
    assert not offer.available(request)
    assert offer.events_url(request, "abc") == ""


@override_settings(ROOT_URLCONF="tests.urls_without_status")
def test_a_site_without_the_packages_urls_polls():
    """No ``django_rq_poll.urls`` included: no stream to offer, and no error either."""
    request = AsyncRequestFactory().get("/page/")
    assert offer.available(request)
    assert offer.events_url(request, "abc") == ""


def test_push_turned_off_polls(settings):
    settings.RQ_POLL = {**settings.RQ_POLL, "PUSH": False}
    request = AsyncRequestFactory().get("/page/")
    assert not offer.available(request)
    assert offer.events_url(request, "abc") == ""
