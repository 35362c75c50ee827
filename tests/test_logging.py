"""What a site's logs (and its admins' inboxes) get from polling pages.

Django logs every response of status 500 or more at ERROR on ``django.request``, and its
default ``mail_admins`` handler mails each one when DEBUG is off. The pages this app
answers on purpose (the failure page, the 503 while Redis is down, the status endpoint's
503) are logged once on ``django_rq_poll`` instead, and mail nobody.
"""

from __future__ import annotations

import logging

import django
import pytest
from django.core import mail
from django.test import Client
from django.urls import path

from tests.urls import urlpatterns as site_urlpatterns
from tests.web.test_views import kill_redis, status_of


def crash(request):
    raise RuntimeError("a bug in the site's own view")


urlpatterns = [*site_urlpatterns, path("crash/", crash)]


@pytest.fixture
def admins(settings):
    # Django 6 takes plain addresses (its name-and-address pairs are deprecated).
    pair = ("Admin", "admin@example.com")
    settings.ADMINS = [pair[1]] if django.VERSION >= (6, 0) else [pair]
    settings.DEBUG = False
    mail.outbox.clear()


def _records(caplog, name: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == name]


@pytest.mark.urls("tests.test_logging")
def test_a_crashing_view_still_mails_the_admins(admins, caplog):
    """The control: Django's own logging and mail_admins are in place in this test."""
    with caplog.at_level(logging.INFO):
        assert Client(raise_request_exception=False).get("/crash/").status_code == 500
    assert [r.levelno for r in _records(caplog, "django.request")] == [logging.ERROR]
    assert len(mail.outbox) == 1


def test_failure_page_logs_once_at_info_and_mails_nobody(admins, caplog, client, run_jobs):
    client.get("/fail/")
    run_jobs()
    with caplog.at_level(logging.DEBUG):
        for _ in range(3):
            assert client.get("/fail/").status_code == 500
            assert client.get("/fail/", HTTP_HX_REQUEST="true").status_code == 286
    assert _records(caplog, "django.request") == []
    ours = _records(caplog, "django_rq_poll")
    assert [r.levelno for r in ours] == [logging.INFO] * 6
    assert "Polling page /fail/ answered 500: job" in ours[0].getMessage()
    assert ours[0].getMessage().endswith(" failed")
    assert mail.outbox == []


def test_outage_pages_log_once_at_warning_and_mail_nobody(admins, caplog, client, monkeypatch, url):
    job_id = "0123456789abcdef"  # any valid id: Redis is unreachable anyway
    kill_redis(monkeypatch)
    with caplog.at_level(logging.DEBUG):
        assert client.get("/sum/").status_code == 503
        assert client.post("/fail/", {"rq_poll_retry": "1"}).status_code == 503
        assert status_of(client, job_id).status_code == 503
    assert _records(caplog, "django.request") == []
    ours = _records(caplog, "django_rq_poll")
    assert [r.levelno for r in ours] == [logging.WARNING] * 3
    assert all("unreachable" in r.getMessage() for r in ours)
    assert mail.outbox == []


def test_the_streams_outage_logs_at_warning_and_mails_nobody(admins, caplog, monkeypatch):
    """The event stream answers an outage as the status endpoint does (it mailed ADMINS
    once per request in 0.2.0)."""
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    kill_redis(monkeypatch)
    with caplog.at_level(logging.DEBUG):
        for _ in range(10):
            response = async_to_sync(AsyncClient().get)("/rq-poll/events/0123456789abcdef/")
            assert response.status_code == 503
            assert response["Retry-After"] == "10"
    assert _records(caplog, "django.request") == []
    assert [r.levelno for r in _records(caplog, "django_rq_poll")] == [logging.WARNING] * 10
    assert mail.outbox == []
