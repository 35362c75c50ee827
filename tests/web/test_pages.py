"""web/pages.py through a site's own templates: what each polling page puts in its
context (docs/views.rst lists it), what it logs, and the "try again" POSTs it refuses.

Every page of these views (``Probe*View`` in tests/views.py, under ``/probe/``) renders
tests/pages/probe.html, which prints the request and the documented context, so a value
left out, renamed, or given for the wrong visitor shows. Every test runs on both sides
(tests/web/conftest.py): the sync views and their async twins, which await the same
programs.
"""

from __future__ import annotations

import logging
import uuid

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncRequestFactory
from rq import Queue
from rq.job import Job
from rq.serializers import DefaultSerializer

from django_rq_poll.core import meta
from django_rq_poll.core.progress import Progress
from django_rq_poll.drivers import backends
from django_rq_poll.web.pages import RETRY_FIELD
from tests.redis_server import written
from tests.views import PROBE_OPENED, ProbeSumView, async_twin
from tests.web.test_views import kill_redis, staff_client
from tests.workers import InProcessWorker


def probe(response) -> str:
    page = response.content.decode()
    assert page.startswith("probe "), page
    return page.strip()


class TestFailurePage:
    def test_its_context_for_a_visitor(self, new_client, run_jobs, caplog):
        page = "/probe/fail/"
        task_id = new_client().get(page).context["task_id"]
        run_jobs()
        with caplog.at_level(logging.INFO, logger="django_rq_poll"):
            response = new_client().get(page)
        assert response.status_code == 500
        assert probe(response) == (
            f"probe path={page} page_url={page} task_id={task_id} state=failed wait=// "
            "canceled=False label=[] notice=[None] limit= too_many= download= result_url="
        )
        (record,) = [r for r in caplog.records if r.name == "django_rq_poll"]
        assert record.getMessage() == f"Polling page {page} answered 500: job {task_id} failed"
        # as Django logs a request's answer: the handlers (mail_admins, Sentry) read it
        assert record.request.path == page
        assert record.status_code == 500

    def test_a_canceled_job(self, new_client):
        import django_rq_poll as poll

        page = "/probe/fail/"
        task_id = new_client().get(page).context["task_id"]
        assert poll.cancel_process(task_id=task_id)
        assert "state=canceled wait=// canceled=True " in probe(new_client().get(page))

    def test_staff_read_the_label_and_a_worker_without_the_serializer(
        self, new_client, transactional_db, django_user_model
    ):
        """A job of the JSON queue taken by a worker with rq's default serializer: staff
        are told which queue's serializer the worker lacks; a visitor is told nothing."""
        page = "/probe/json-sum/"
        staff = staff_client(new_client(), django_user_model)
        staff.get(page)
        json_queue = backends.backend("json").queue
        unaware = Queue("json", connection=json_queue.connection, serializer=DefaultSerializer)
        name = f"test-{uuid.uuid4().hex[:8]}"
        InProcessWorker([unaware], connection=json_queue.connection, name=name).work(
            burst=True, logging_level="CRITICAL", with_scheduler=False
        )
        seen = probe(staff.get(page))
        assert "label=[Error (shown to staff only)]" in seen
        assert (
            "notice=[The worker could not read this job: it was started without the "
            "serializer of the queue “json” (rq.serializers.JSONSerializer), or without "
            "the code of the job&#x27;s arguments. Start its workers with: python manage.py "
            "rqworker json --serializer rq.serializers.JSONSerializer]"
        ) in seen
        visitor = new_client().get(page)
        assert visitor.status_code == 500
        assert "label=[] notice=[None]" in probe(visitor)


class TestRefusedRetry:
    def test_over_the_cap(self, new_client, settings, run_jobs):
        settings.RQ_POLL = {"QUEUE": "default", "MAX_ACTIVE_JOBS": 1}
        page = "/probe/fail/"
        client = new_client()
        client.get(page)
        run_jobs()
        client.get("/probe/sum/")  # the failed job left the count; this one takes the slot
        response = client.post(page, {RETRY_FIELD: "1"})
        assert response.status_code == 429
        assert response["Retry-After"] == "10"
        assert f"probe path={page} page_url={page} " in probe(response)
        assert " limit=1 too_many=True " in probe(response)

    def test_a_url_over_the_length_limit(self, new_client, settings):
        settings.RQ_POLL = {"QUEUE": "default", "MAX_URL_LENGTH": 20}
        page = "/probe/fail/" + "?pad=" + "a" * 20
        response = new_client().post(page, {RETRY_FIELD: "1"})
        assert response.status_code == 414
        assert f"probe path={'/probe/fail/'} " in probe(response)
        assert " limit=20 " in probe(response)


def test_an_outage_answers_with_the_views_own_templates(new_client, monkeypatch):
    kill_redis(monkeypatch)
    page = "/probe/sum/"
    response = new_client().get(page)
    assert response.status_code == 503
    assert f"probe path={page} page_url={page} " in probe(response)
    fragment = new_client().get(page, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert f"probe path={page} page_url={page} " in probe(fragment)


class TestReadyFile:
    def test_a_browser_gets_the_views_ready_page_and_the_file_is_released(
        self, new_client, run_jobs
    ):
        page = "/probe/file/"
        new_client().get(page)
        run_jobs()
        PROBE_OPENED.clear()
        response = new_client().get(page, HTTP_ACCEPT="text/html")
        assert response.status_code == 200
        assert probe(response).endswith(
            f"page_url={page} task_id= state= wait=// canceled= label=[] notice=[] limit= "
            f"too_many= download=True result_url={page}?rq_poll_deliver=1"
        )
        assert f"probe path={page} " in probe(response)
        (body,) = PROBE_OPENED
        assert body.closed  # the file of the response not sent

    def test_htmx_fetching_it_once_is_redirected_and_the_file_released(self, new_client, run_jobs):
        page = "/probe/file/"
        new_client().get(page)
        run_jobs()
        PROBE_OPENED.clear()
        done = new_client().get(f"{page}?rq_poll_deliver=1", HTTP_HX_REQUEST="true")
        assert (done.status_code, done["HX-Redirect"]) == (286, f"{page}?rq_poll_deliver=1")
        (body,) = PROBE_OPENED
        assert body.closed


def test_the_result_varies_on_htmx(new_client, run_jobs):
    """The view's own answer, too, differs for htmx (the ready fragment, 286): a cache
    must keep the two apart."""
    page = "/probe/sum/"
    new_client().get(page)
    run_jobs()
    response = new_client().get(page)
    assert response.status_code == 200
    assert "hx-request" in [v.strip().lower() for v in response["Vary"].split(",")]


def test_a_users_result_is_kept_for_result_ttl_and_a_visitors_for_minutes(
    new_client, run_jobs, redis_db, alice
):
    """The anonymous lifetimes are the page's defaults for visitors only."""
    user = new_client()
    user.force_login(alice)
    kept = user.get("/probe/sum/").context["task_id"]
    brief = new_client().get("/probe/sum/" + "?x=5").context["task_id"]
    run_jobs()
    assert redis_db.ttl(f"rq:job:{kept}") > 600  # RESULT_TTL: a day
    assert 0 < redis_db.ttl(f"rq:job:{brief}") <= 600  # ANONYMOUS_RESULT_TTL


def test_a_queued_job_is_looked_for_in_its_own_queue_on_every_look(
    new_client, transactional_db, django_user_model
):
    """The first look knows the queue from the view; the next ones from the job."""
    staff = staff_client(new_client(), django_user_model)
    for _ in range(2):
        seen = probe(staff.get("/probe/json-sum/"))
        assert "No worker is listening on the queue “json”" in seen
        assert "rqworker json --serializer rq.serializers.JSONSerializer]" in seen


class TestLimitedPage:
    def test_a_visitor_over_the_cap(self, new_client, settings):
        """429 for the page (503 would say the queue is full), 200 for htmx, which swaps
        no error; both with Retry-After, from the view's templates, nothing started."""
        settings.RQ_POLL = {"QUEUE": "default", "MAX_ACTIVE_JOBS": 1, "RETRY_AFTER": 7}
        client = new_client()
        assert client.get("/probe/sum/").status_code == 202
        page = "/probe/sum/" + "?x=2"
        response = client.get(page)
        assert (response.status_code, response["Retry-After"]) == (429, "7")
        assert "no-store" in response["Cache-Control"]
        assert f"probe path={'/probe/sum/'} page_url={page} " in probe(response)
        assert " limit=1 too_many=True " in probe(response)
        fragment = client.get(page, HTTP_HX_REQUEST="true")
        assert (fragment.status_code, fragment["Retry-After"]) == (200, "7")
        assert " limit=1 too_many=True " in probe(fragment)

    def test_a_full_queue(self, new_client, settings):
        settings.RQ_POLL = {"QUEUE": "default", "MAX_QUEUE_LENGTH": 1}
        client = new_client()
        assert client.get("/probe/sum/").status_code == 202
        response = client.get("/probe/sum/" + "?x=2")
        assert (response.status_code, response["Retry-After"]) == (503, "10")
        assert " limit=1 too_many=False " in probe(response)

    def test_a_page_over_the_length_limit(self, new_client, settings, redis_db):
        settings.RQ_POLL = {"QUEUE": "default", "MAX_URL_LENGTH": 20}
        response = new_client().get("/probe/sum/" + "?pad=" + "a" * 20)
        assert response.status_code == 414
        assert "no-store" in response["Cache-Control"]
        assert f"probe path={'/probe/sum/'} " in probe(response)
        assert " limit=20 " in probe(response)
        assert written(redis_db) == []


def test_the_running_pages_context(new_client):
    page = "/probe/sum/"
    response = new_client().get(page)
    task_id = response.context["task_id"]
    assert response.status_code == 202
    assert "hx-request" in [v.strip().lower() for v in response["Vary"].split(",")]
    assert probe(response).startswith(
        f"probe path={page} page_url={page} task_id={task_id} state=pending "
        "wait=default/1/0 canceled= "
    )


@pytest.mark.parametrize(("interval", "fallback_ms"), [(2, 4000), (1, 3000), (5, 10000)])
def test_the_running_page_reloads_after_two_intervals_and_three_seconds_at_least(
    new_client, settings, interval, fallback_ms
):
    """The reload if the polling script never starts (html.script_tag)."""
    settings.RQ_POLL = {"QUEUE": "default", "POLL_INTERVAL": interval}
    assert new_client().get("/probe/sum/").context["poll_fallback_ms"] == fallback_ms


def test_a_page_under_asgi_offers_its_jobs_stream():
    view = async_twin(ProbeSumView).as_view()
    response = async_to_sync(view)(AsyncRequestFactory().get("/probe/sum/"))
    task_id = response.context_data["task_id"]
    assert response.context_data["events_url"] == f"/rq-poll/events/{task_id}/"


class TestTheJobAPageStarts:
    def test_the_views_meta_is_kept_beside_the_owner_and_the_page(self, new_client, alice):
        client = new_client()
        client.force_login(alice)
        page = "/probe/fixed/" + "?a=1"
        running = client.get(page)
        assert running.context["polling_url"] == f"/one-for-all/#user={alice.pk}"
        job = Job.fetch(running.context["task_id"], connection=backends.backend().queue.connection)
        assert job.meta["source"] == "the view"
        assert job.meta[meta.META_OWNER] == meta.owner_of(alice)
        assert job.meta[meta.META_PAGE] == page  # the key does not spell it

    def test_users_behind_one_address_each_have_their_own_cap(
        self, new_client, settings, alice, bob
    ):
        settings.RQ_POLL = {"QUEUE": "default", "MAX_ACTIVE_JOBS": 1}
        for user in (alice, bob):
            client = new_client()  # both from 127.0.0.1
            client.force_login(user)
            assert client.get("/probe/sum/").status_code == 202

    def test_the_running_page_shows_the_progress_its_job_reported(self, new_client):
        client = new_client()
        task_id = client.get("/probe/sum/").context["task_id"]
        job = Job.fetch(task_id, connection=backends.backend().queue.connection)
        job.meta[meta.META_PROGRESS] = {"current": 3, "total": 4, "message": "Counting"}
        job.save_meta()
        running = client.get("/probe/sum/")
        assert running.status_code == 202
        assert running.context["progress"] == Progress(3.0, 4.0, "Counting")
        assert 'max="100" value="75">75%</progress>' in running.context["progress_bar"]


def test_the_result_page_keeps_the_parent_views_context(new_client, run_jobs):
    """get_context_data adds ``result`` to what the view itself puts there."""
    page = "/probe/sum/"
    new_client().get(page)
    run_jobs()
    response = new_client().get(page)
    assert response.status_code == 200
    assert response.context["result"] == 3
    assert isinstance(response.context["view"], ProbeSumView)  # TemplateView's own


def test_a_view_without_a_context_of_its_own_gets_the_result_alone():
    from tests.views import PlainView  # PollingMixin on a plain View

    view = PlainView()
    view.result = 42
    assert view.get_context_data(extra=1) == {"extra": 1, "result": 42}
