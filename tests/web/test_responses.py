"""web/responses.py: the bodies and log lines of the pages' and endpoints' refusals, the
pages' on both sides (tests/web/conftest.py). Each is logged once on ``django_rq_poll``,
with the request where Django's handlers (mail_admins, Sentry) read it."""

from __future__ import annotations

import logging

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncRequestFactory, Client

from django_rq_poll.core import keys
from django_rq_poll.web import endpoints
from tests.web.test_views import kill_redis, status_of


def ours(caplog) -> logging.LogRecord:
    (record,) = [r for r in caplog.records if r.name == "django_rq_poll"]
    return record


@pytest.mark.parametrize(("htmx", "status"), [(False, 503), (True, 200)])
def test_an_outage_is_logged_as_a_warning_with_the_request(
    client, monkeypatch, caplog, htmx, status
):
    kill_redis(monkeypatch)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    with caplog.at_level(logging.INFO, logger="django_rq_poll"):
        response = client.get("/sum/?x=1", **headers)
    assert response.status_code == status
    record = ours(caplog)
    assert record.levelname == "WARNING"
    assert record.getMessage().startswith(f"Page /sum/ answered {status} (outage): ")
    assert (record.request.path, record.status_code) == ("/sum/", status)


def test_a_refusal_that_waiting_will_not_fix_is_logged_as_an_error(client, redis_db, caplog):
    """Another program's key of another type under the page's mapping (WRONGTYPE)."""
    redis_db.rpush(keys.url_key("/sum/"), "not a job id")
    with caplog.at_level(logging.INFO, logger="django_rq_poll"):
        response = client.get("/sum/")
    assert response.status_code == 503
    assert ours(caplog).levelname == "ERROR"


def test_the_status_endpoints_outage_says_to_try_again(monkeypatch):
    kill_redis(monkeypatch)
    response = status_of(Client(), "0" * 32)
    assert response.status_code == 503
    assert response.json() == {"error": "Try again in a moment."}


def test_a_visitor_holding_too_many_streams_is_told_to_try_again(settings, caplog):
    settings.RQ_POLL = {"QUEUE": "default", "MAX_STREAMS": 0}
    task_id = Client().get("/sum/").context["task_id"]
    request = AsyncRequestFactory().get(f"/rq-poll/events/{task_id}/")
    with caplog.at_level(logging.INFO, logger="django_rq_poll"):
        response = async_to_sync(endpoints.events)(request, task_id)
    assert (response.status_code, response["Retry-After"]) == (429, "10")
    assert "no-store" in response["Cache-Control"]
    assert response.content == b'{"error": "Try again in a moment."}'
    assert ours(caplog).getMessage() == (
        f"Events of job {task_id} answered 429: too many open streams"
    )


def test_a_page_over_the_cap_is_logged_with_its_reason(client, settings, caplog):
    settings.RQ_POLL = {"QUEUE": "default", "MAX_ACTIVE_JOBS": 1, "RETRY_AFTER": 7}
    client.get("/sum/")
    with caplog.at_level(logging.INFO, logger="django_rq_poll"):
        response = client.get("/sum/?x=2")
    assert response.status_code == 429
    assert response.context["retry_after"] == 7
    message = ours(caplog).getMessage()
    assert message.startswith("Polling page /sum/ answered 429: ")
    assert "MAX_ACTIVE_JOBS" in message  # the refusal's own words


@pytest.mark.urls("tests.urls_without_status")
def test_a_site_without_the_status_endpoint_gives_its_pages_none():
    """An empty status URL: the running page's script has no endpoint to ask."""
    running = Client().get("/sum/")
    assert running.status_code == 202
    assert running.context["status_url"] == ""
    assert 'data-rq-poll-status-url=""' in running.content.decode()
