"""Whom a page's job counts against (``web/visitors.py``), for every kind of user a view
may hand over: Django's users, ``AnonymousUser``, no user, and an object of a site's own
without ``is_authenticated`` (taken for anonymous, never for a logged-in user)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from django_rq_poll.web.visitors import job_defaults, visitor_of

SHORT = {"failure_ttl": 3600, "result_ttl": 600}


@pytest.fixture
def request_from():
    def make(address: str | None) -> object:
        request = RequestFactory().get("/")
        if address is None:
            del request.META["REMOTE_ADDR"]
        else:
            request.META["REMOTE_ADDR"] = address
        return request

    return make


@pytest.mark.parametrize(
    ("user", "visitor"),
    [
        (SimpleNamespace(pk=7, is_authenticated=True), "user:7"),
        (SimpleNamespace(pk=7, is_authenticated=False), "anonymous:192.0.2.1"),
        (SimpleNamespace(pk=7), "anonymous:192.0.2.1"),  # no is_authenticated: anonymous
        (AnonymousUser(), "anonymous:192.0.2.1"),
        (None, "anonymous:192.0.2.1"),
    ],
)
def test_only_an_authenticated_user_counts_as_a_user(request_from, user, visitor) -> None:
    assert visitor_of(request_from("192.0.2.1"), user) == visitor


def test_a_visitor_without_an_address_is_one_unknown_visitor(request_from) -> None:
    assert visitor_of(request_from(None), None) == "anonymous:unknown"
    assert visitor_of(request_from(""), None) == "anonymous:unknown"


@pytest.mark.parametrize(
    ("user", "defaults"),
    [
        (SimpleNamespace(pk=7, is_authenticated=True), {}),
        (SimpleNamespace(pk=7, is_authenticated=False), SHORT),
        (SimpleNamespace(pk=7), SHORT),
        (AnonymousUser(), SHORT),
        (None, SHORT),
    ],
)
def test_anonymous_visitors_jobs_keep_their_outcome_for_less_time(settings, user, defaults) -> None:
    settings.RQ_POLL = {"ANONYMOUS_FAILURE_TTL": 3600, "ANONYMOUS_RESULT_TTL": 600}
    assert job_defaults(user) == defaults
