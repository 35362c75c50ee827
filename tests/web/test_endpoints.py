"""web/endpoints.py's status endpoint: the job's own queue, a site without
authentication, and an outage logged as Django logs a request's answer."""

from __future__ import annotations

import json
import logging
import uuid

from asgiref.sync import async_to_sync
from django.test import AsyncRequestFactory, Client, RequestFactory

from django_rq_poll.web import endpoints
from django_rq_poll.web.pages import RETRY_FIELD
from tests.views import FailView
from tests.web.test_views import kill_redis, staff_client, status_of


def test_a_queued_job_is_placed_in_its_own_queue(client, transactional_db, django_user_model):
    """A job of the JSON queue: its place there, and for staff the command that serves it
    (the page started by either side's view)."""
    staff = staff_client(client, django_user_model)
    task_id = staff.get("/json-queue-sum/").context["task_id"]
    data = status_of(staff, task_id).json()
    assert (data["state"], data["position"], data["workers"]) == ("pending", 1, 0)
    assert "No worker is listening on the queue “json”" in data["notice"]
    assert data["notice"].endswith("rqworker json --serializer rq.serializers.JSONSerializer")


def test_a_site_without_authentication_reads_anonymous_jobs(client):
    """No AuthenticationMiddleware, so no ``request.user``: the job is read as anybody's."""
    task_id = client.get("/sum/?x=8").context["task_id"]
    request = RequestFactory().get(f"/rq-poll/status/{task_id}/")
    assert not hasattr(request, "user")
    response = endpoints.status(request, task_id)
    assert response.status_code == 200
    data = json.loads(response.content)
    assert (data["state"], data["position"]) == ("pending", 1)
    assert (data["workers"], data["notice"]) == (None, None)  # no staff without users


def test_an_outage_is_logged_with_the_request(monkeypatch, caplog):
    kill_redis(monkeypatch)
    job_id = uuid.uuid4().hex
    with caplog.at_level(logging.WARNING, logger="django_rq_poll"):
        response = status_of(Client(), job_id)
    assert response.status_code == 503
    (record,) = [r for r in caplog.records if r.name == "django_rq_poll"]
    assert record.getMessage().startswith(f"Job {job_id}'s status answered 503: ")
    assert record.request.path == f"/rq-poll/status/{job_id}/"
    assert record.status_code == 503


def test_an_outage_of_the_events_is_logged_as_theirs(monkeypatch, caplog):
    """The stream (under ASGI) answers the same 503, logged as the events' outage."""
    kill_redis(monkeypatch)
    job_id = uuid.uuid4().hex
    request = AsyncRequestFactory().get(f"/rq-poll/events/{job_id}/")
    with caplog.at_level(logging.WARNING, logger="django_rq_poll"):
        response = async_to_sync(endpoints.events)(request, job_id)
    assert (response.status_code, response["Retry-After"]) == (503, "10")
    (record,) = [r for r in caplog.records if r.name == "django_rq_poll"]
    assert record.getMessage().startswith(f"Job {job_id}'s events answered 503: ")


def test_a_site_without_authentication_can_try_again(client, run_jobs):
    """No ``request.user`` on the POST of "Try again" either: a fresh job starts."""
    client.get("/fail/")
    run_jobs()
    request = RequestFactory().post("/fail/", {RETRY_FIELD: "1"})
    assert not hasattr(request, "user")
    response = FailView.as_view()(request)
    assert response.status_code == 303
    assert response["Location"] == "/fail/"
