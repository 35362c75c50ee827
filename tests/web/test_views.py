"""The web layer through the Django test client, with real Redis and real rq workers."""

from __future__ import annotations

import json
import uuid

import pytest
from django.urls import reverse

import django_rq_poll as poll
from django_rq_poll.core import meta
from django_rq_poll.drivers import backends
from django_rq_poll.web.pages import RETRY_FIELD
from tests import tasks
from tests.workers import BURST

HX = {"HTTP_HX_REQUEST": "true"}


def status_of(client, task_id):
    return client.get(reverse("django_rq_poll:status", kwargs={"job_id": task_id}))


def only_job_id(redis_db):
    """The id of the single job in the test database."""
    (key,) = redis_db.keys(b"rq:job:*")
    return key.decode().rsplit(":", 1)[1]


def kill_redis(monkeypatch):
    """Point the default queue at a port where no Redis answers (as test_api does)."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry
    from rq import Queue

    # Nothing listens on port 1: no retries (redis-py 6+ retries a refused connection
    # with backoff, about 4 s per command on 8.x, which only slows the test down).
    dead_client = redis.Redis(port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    dead = Queue("default", connection=dead_client)
    monkeypatch.setitem(backends._backends, "default", backends.Backend(dead))
    monkeypatch.setattr(backends, "_default", None)  # backend() must not keep the live one


@pytest.fixture
def dead_redis(monkeypatch):
    kill_redis(monkeypatch)


class TestRequestCycle:
    def test_running_page_then_result(self, client, run_jobs):
        first = client.get("/sum/?x=3&y=4")
        assert first.status_code == 202
        assert "no-store" in first["Cache-Control"]
        page = first.content.decode()
        assert "This process has begun and will be running in the background." in page
        assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
        assert '<script src="/static/django_rq_poll/poll.js" defer></script>' in page
        task_id = first.context["task_id"]
        assert f'data-rq-poll-status-url="/rq-poll/status/{task_id}/"' in page
        assert 'data-rq-poll-interval="2000" data-rq-poll-max-interval="15000"' in page

        again = client.get("/sum/?x=3&y=4")
        assert again.status_code == 202
        assert again.context["task_id"] == task_id
        # Queued and no worker yet: it says it waits, and where (not "running").
        assert (
            "This process is waiting to start: it is number 1 in the queue."
            in again.content.decode()
        )

        run_jobs()
        done = client.get("/sum/?x=3&y=4")
        assert done.status_code == 200
        assert done.content.decode() == "<p>Sum: 7</p>\n"
        assert done.context["result"] == 7

    def test_atomic_requests(self, transactional_db, monkeypatch, run_jobs, redis_db):
        """django-rq enqueues on commit inside a transaction: the job must exist after it.
        (Sync views only: Django refuses ATOMIC_REQUESTS for async ones.)"""
        from django.db import connections
        from django.test import Client

        client = Client()
        monkeypatch.setitem(connections.settings["default"], "ATOMIC_REQUESTS", True)
        task_id = client.get("/sum/?x=8").context["task_id"]
        assert redis_db.exists(f"rq:job:{task_id}")
        assert status_of(client, task_id).json()["state"] == "pending"
        run_jobs()
        assert client.get("/sum/?x=8").content == b"<p>Sum: 10</p>\n"

    def test_query_string_is_part_of_the_key(self, client, run_jobs):
        client.get("/sum/?x=1&y=1")
        client.get("/sum/?x=2&y=2")
        run_jobs()
        assert client.get("/sum/?x=1&y=1").content == b"<p>Sum: 2</p>\n"
        assert client.get("/sum/?x=2&y=2").content == b"<p>Sum: 4</p>\n"

    def test_job_meta_names_page_and_owner(self, client, alice, redis_db):
        client.force_login(alice)
        task_id = client.get("/sum/?x=1").context["task_id"]
        job = backends.backend().fetch_job(task_id)
        assert job.meta[meta.META_OWNER] == str(alice.pk)
        assert job.meta[meta.META_URL] == f"/sum/?x=1#user={alice.pk}"
        assert meta.META_PAGE not in job.meta  # the key spells the page: kept once

    def test_detail_view(self, client, alice, run_jobs):
        assert client.get(f"/users/{alice.pk}/").status_code == 202
        run_jobs()
        response = client.get(f"/users/{alice.pk}/")
        assert response.status_code == 200
        assert response.content.decode() == f"<p>alice: {alice.pk + 100}</p>\n"

    def test_plain_view_reads_self_result(self, client, run_jobs):
        assert client.get("/plain/").status_code == 202
        run_jobs()
        assert client.get("/plain/").content == b"plain 42"

    def test_head_polls_like_get(self, client, run_jobs):
        assert client.head("/plain/").status_code == 202
        run_jobs()
        assert client.head("/plain/").status_code == 200

    def test_result_response_hook(self, client, run_jobs):
        client.get("/redirect/")
        client.get("/json/")
        run_jobs()
        redirect = client.get("/redirect/")
        assert (redirect.status_code, redirect["Location"]) == (302, "/done/42/")
        assert client.get("/json/").json() == {"answer": 42}

    def test_progress_on_running_page(self, client, rqworker, redis_db):
        key = f"release-{uuid.uuid4().hex}"
        url = f"/progress/?key={key}"
        client.get(url)
        rqworker("default", *BURST)
        _wait_until(lambda: redis_db.get(f"{key}:started"))
        response = client.get(url)
        data = status_of(client, response.context["task_id"]).json()
        redis_db.set(key, 1)  # released only now: the job is still running above
        assert response.status_code == 202
        assert (
            '<label class="rq-poll-progress"><span data-rq-poll-label>step 2 of 4</span> '
            '<progress data-rq-poll-bar max="100" value="50">50%</progress></label>'
        ) in response.content.decode()
        assert data["progress"] == {
            "current": 2,
            "total": 4,
            "message": "step 2 of 4",
            "percent": 50,
        }
        assert data["state"] == "running"

    def test_running_page_settings(self, client, settings):
        settings.RQ_POLL = {"POLL_INTERVAL": 0.5, "POLL_MAX_INTERVAL": 30}
        page = client.get("/sum/").content.decode()
        assert '<meta http-equiv="refresh" content="0.5">' in page
        assert 'data-rq-poll-interval="500" data-rq-poll-max-interval="30000"' in page


class TestUsers:
    def test_each_user_gets_their_own_result(self, client, alice, bob, run_jobs):
        client.force_login(alice)
        assert client.get("/whose/").status_code == 202
        run_jobs()
        assert client.get("/whose/").content == b"<p>Sum: for alice</p>\n"

        client.force_login(bob)
        assert client.get("/whose/").status_code == 202
        client.logout()
        assert client.get("/whose/").status_code == 202
        run_jobs()
        assert client.get("/whose/").content == b"<p>Sum: for anonymous</p>\n"
        client.force_login(bob)
        assert client.get("/whose/").content == b"<p>Sum: for bob</p>\n"
        client.force_login(alice)
        assert client.get("/whose/").content == b"<p>Sum: for alice</p>\n"

    def test_shared_view_shares_one_job(self, client, alice, bob, run_jobs, redis_db):
        client.force_login(alice)
        task_id = client.get("/shared-sum/").context["task_id"]
        assert backends.backend().fetch_job(task_id).meta[meta.META_OWNER] is None
        client.force_login(bob)
        assert client.get("/shared-sum/").context["task_id"] == task_id
        assert status_of(client, task_id).status_code == 200
        run_jobs()
        assert client.get("/shared-sum/").content == b"<p>Sum: 3</p>\n"
        assert len(redis_db.keys(b"rq:job:*")) == 1


class TestFailure:
    def test_a_task_errors_message_is_shown_to_everyone(self, client, run_jobs):
        """TaskError: the task's own words for visitors, escaped; the traceback stays
        for staff; any other failure shows no message."""
        client.get("/polite-fail/")
        run_jobs()
        page = client.get("/polite-fail/").content.decode()
        assert "The polygon is too &lt;small&gt;." in page
        assert "Traceback" not in page and "refuse_politely" not in page
        fragment = client.get("/polite-fail/", HTTP_HX_REQUEST="true").content.decode()
        assert "The polygon is too &lt;small&gt;." in fragment
        client.get("/fail/")
        run_jobs()
        assert "data-rq-poll-message" not in client.get("/fail/").content.decode()

    def test_failure_page_hides_error_from_users(self, client, alice, run_jobs):
        client.force_login(alice)
        client.get("/fail/")
        run_jobs()
        response = client.get("/fail/")
        assert response.status_code == 500
        assert "no-store" in response["Cache-Control"]
        page = response.content.decode()
        assert "This process failed." in page
        assert "secret" not in page
        assert "RuntimeError" not in page
        assert '<form method="post" action="/fail/">' in page
        assert f'<input type="hidden" name="{RETRY_FIELD}" value="1">' in page
        assert "csrfmiddlewaretoken" in page

    @pytest.mark.parametrize("who", ["staff", "debug"])
    def test_failure_page_shows_error_to_staff_or_in_debug(
        self, client, transactional_db, django_user_model, settings, run_jobs, who
    ):
        if who == "staff":
            client.force_login(django_user_model.objects.create_user("s", is_staff=True))
        else:
            settings.DEBUG = True
        client.get("/fail/")
        run_jobs()
        page = client.get("/fail/").content.decode()
        assert "RuntimeError: &lt;b&gt;secret&lt;/b&gt; boom" in page
        assert "<b>secret</b>" not in page

    def test_get_never_retries(self, client, run_jobs, redis_db):
        client.get("/fail/")
        run_jobs()
        client.get("/fail/")
        client.get("/fail/")
        # every job of the failing task ever started: one. (A count of all jobs read 2
        # once in a full parallel run, the other job's origin not found: only this
        # page's task is counted, so a retry would still fail the test.)
        jobs = redis_db.keys(b"rq:job:*")
        started = [
            k for k in jobs if redis_db.hget(k, "description").startswith(b"tests.tasks.fail(")
        ]
        assert len(started) == 1

    def test_retry_post_starts_again(self, client, run_jobs, redis_db):
        first = client.get("/fail/").context["task_id"]
        run_jobs()
        response = client.post("/fail/", {RETRY_FIELD: "1"})
        assert (response.status_code, response["Location"]) == (303, "/fail/")
        assert not redis_db.exists(f"rq:job:{first}")  # the failed job was forgotten
        again = client.get("/fail/")
        assert again.status_code == 202
        assert again.context["task_id"] != first

    def test_retry_post_starts_a_logged_in_users_own_job_again(self, client, alice, run_jobs):
        client.force_login(alice)
        first = client.get("/fail/").context["task_id"]
        run_jobs()
        assert client.post("/fail/", {RETRY_FIELD: "1"}).status_code == 303
        again = client.get("/fail/")  # not the failure page: the retry found alice's job
        assert again.status_code == 202
        assert again.context["task_id"] != first

    def test_retry_needs_csrf_token(self, alice, run_jobs):
        from django.test import Client

        strict = Client(enforce_csrf_checks=True)
        strict.get("/fail/")
        run_jobs()
        assert strict.post("/fail/", {RETRY_FIELD: "1"}).status_code == 403

    def test_retry_of_a_finished_job_changes_nothing(self, client, run_jobs):
        task_id = client.get("/sum/").context["task_id"]
        run_jobs()
        assert client.post("/sum/", {RETRY_FIELD: "1"}).status_code == 303
        assert client.get("/sum/").status_code == 200
        assert poll.get_taskid_from_url("/sum/") == task_id

    def test_other_posts_reach_the_view(self, client):
        assert client.post("/sum/", {"x": "1"}).status_code == 405

    def test_canceled_job(self, client):
        task_id = client.get("/sum/").context["task_id"]
        assert poll.cancel_process(task_id=task_id)
        response = client.get("/sum/")
        assert response.status_code == 500
        assert "This process was canceled." in response.content.decode()


class TestRedisDown:
    def test_page_answers_503(self, client, dead_redis, caplog):
        response = client.get("/sum/")
        assert response.status_code == 503
        assert response["Retry-After"] == "10"
        assert "no-store" in response["Cache-Control"]
        page = response.content.decode()
        assert "cannot be reached right now" in page
        assert "Traceback" not in page
        assert '<meta http-equiv="refresh" content="10">' in page
        assert "unreachable" in caplog.text

    def test_retry_after_setting(self, client, settings, monkeypatch):
        settings.RQ_POLL = {"RETRY_AFTER": 42}  # clears the backend cache: kill after
        kill_redis(monkeypatch)
        assert client.get("/sum/")["Retry-After"] == "42"

    def test_retry_post_and_async_and_status(self, client, dead_redis):
        assert client.post("/fail/", {RETRY_FIELD: "1"}).status_code == 503
        assert client.get("/async/").status_code == 503
        assert client.get("/async-fifteen/").status_code == 503
        response = status_of(client, uuid.uuid4().hex)
        assert response.status_code == 503
        assert response["Retry-After"] == "10"


class TestStatusEndpoint:
    def test_fields_while_running_and_when_done(self, client, run_jobs):
        task_id = client.get("/sum/?x=5").context["task_id"]
        running = status_of(client, task_id)
        assert running.status_code == 200
        assert "no-store" in running["Cache-Control"]
        assert running.json() == {
            "state": "pending",
            "done": False,
            "failed": False,
            "status": "This process is waiting to start: it is number 1 in the queue.",
            "progress": None,
            "url": "/sum/?x=5",
            "position": 1,
            "workers": None,  # staff and DEBUG only
            "notice": None,
        }
        run_jobs()
        done = status_of(client, task_id).json()
        assert done["state"] == "complete"
        assert done["done"] is True
        assert done["status"] == "This process is complete."
        assert "result" not in done
        assert "7" not in json.dumps(done)

    def test_failed_job_shows_no_error(self, client, run_jobs):
        task_id = client.get("/fail/").context["task_id"]
        run_jobs()
        data = status_of(client, task_id).json()
        assert (data["state"], data["done"], data["failed"]) == ("failed", True, True)
        assert "secret" not in json.dumps(data)

    def test_url_has_no_user_suffix(self, client, alice):
        client.force_login(alice)
        task_id = client.get("/sum/?x=1").context["task_id"]
        assert status_of(client, task_id).json()["url"] == "/sum/?x=1"

    def test_other_users_job_is_not_found(self, client, alice, bob):
        client.force_login(alice)
        task_id = client.get("/sum/").context["task_id"]
        assert status_of(client, task_id).status_code == 200
        client.force_login(bob)
        assert status_of(client, task_id).status_code == 404
        client.logout()
        assert status_of(client, task_id).status_code == 404

    def test_every_404_is_answered_the_same_way(self, client, alice, bob, monkeypatch):
        """An unknown id and another user's job cost the same work (the user is read
        before the job either way), so timing cannot tell them apart."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.force_login(alice)
        task_id = client.get("/sum/").context["task_id"]
        client.force_login(bob)
        asked = []
        for job_id in (task_id, "f" * 32):
            with CaptureQueriesContext(connection) as queries:
                assert status_of(client, job_id).status_code == 404
            asked.append([q["sql"].split(" WHERE")[0] for q in queries.captured_queries])
        assert asked[0] == asked[1] and asked[0]

    def test_anonymous_job_is_readable_with_its_id(self, client, bob):
        task_id = client.get("/sum/").context["task_id"]
        client.force_login(bob)
        assert status_of(client, task_id).status_code == 200

    @pytest.mark.parametrize(  # fixed ids: every xdist worker must collect the same tests
        "job_id", ["0123456789abcdef" * 2, "no.dots", "x" * 129, "y" * 100_000, "%00", "ünï"]
    )
    def test_unknown_or_malformed_ids(self, client, job_id):
        response = client.get(f"/rq-poll/status/{job_id}/")
        assert response.status_code == 404
        assert response.json() == {"error": "No such process."}

    def test_only_get(self, client):
        task_id = client.get("/sum/").context["task_id"]
        assert client.post(f"/rq-poll/status/{task_id}/").status_code == 405

    def test_job_without_page_meta(self, client):
        task_id = poll.begin_process(tasks.add, (1, 2), polling_url="//evil.example/x")
        assert status_of(client, task_id).json()["url"] is None
        task_id = poll.begin_process(tasks.add, (1, 2), polling_url="/local/?a=1")
        assert status_of(client, task_id).json()["url"] == "/local/?a=1"

    @pytest.mark.parametrize(
        "page",
        [
            "//evil.example/x",
            "/\\evil.example/x",  # browsers read /\ as // (protocol-relative)
            "https://evil.example/x",
            "evil.example/x",
            "",
        ],
    )
    def test_page_that_leaves_the_site_is_never_given(self, client, page):
        """Neither from the page meta nor, failing that, from the polling URL."""
        for job_meta, polling_url in (({meta.META_PAGE: page}, "/x/"), ({}, page)):
            task_id = poll.begin_process(tasks.add, (1, 2), polling_url=polling_url, meta=job_meta)
            expected = None if polling_url == page else "/x/"
            assert status_of(client, task_id).json()["url"] == expected


class TestHtmx:
    def test_partial_until_done_then_286(self, client, run_jobs):
        first = client.get("/sum/?x=2", **HX)
        assert first.status_code == 202
        assert "HX-Request" in first["Vary"]
        page = first.content.decode()
        assert "<html" not in page
        assert (
            '<div class="rq-poll" data-rq-poll-htmx hx-get="/sum/?x=2" '
            'hx-trigger="every 2000ms" hx-swap="outerHTML">'
        ) in page
        run_jobs()
        done = client.get("/sum/?x=2", **HX)
        assert done.status_code == 286
        assert done.content == b"<p>Sum: 4</p>\n"
        assert b"hx-trigger" not in done.content

    def test_failed_partial_stops_polling(self, client, run_jobs):
        client.get("/fail/", **HX)
        run_jobs()
        response = client.get("/fail/", **HX)
        assert response.status_code == 286
        page = response.content.decode()
        assert "<html" not in page
        assert "hx-trigger" not in page
        assert 'hx-post="/fail/" hx-target="closest .rq-poll" hx-swap="outerHTML"' in page

    def test_retry_from_the_partial(self, client, run_jobs):
        first = client.get("/fail/", **HX).context["task_id"]
        run_jobs()
        response = client.post("/fail/", {RETRY_FIELD: "1"}, follow=True, **HX)
        assert response.redirect_chain == [("/fail/", 303)]
        assert response.status_code == 202
        assert response.context["task_id"] != first
        assert 'hx-trigger="every 2000ms"' in response.content.decode()

    def test_plain_request_is_not_htmx(self, client, run_jobs):
        client.get("/sum/", HTTP_HX_REQUEST="false")
        run_jobs()
        assert client.get("/sum/", HTTP_HX_REQUEST="false").status_code == 200


class TestAsync:
    def test_async_view(self, client, run_jobs):
        assert client.get("/async/").status_code == 202
        run_jobs()
        response = client.get("/async/")
        assert (response.status_code, response.content) == (200, b"async 11")

    def test_async_result_response_hook(self, client, run_jobs):
        client.get("/async-json/")
        run_jobs()
        assert client.get("/async-json/").json() == {"answer": 11}

    def test_async_view_per_user(self, client, alice, run_jobs):
        client.force_login(alice)
        task_id = client.get("/async/").context["task_id"]
        assert poll.get_taskid_from_url(f"/async/#user={alice.pk}") == task_id

    def test_async_retry(self, client, run_jobs, redis_db):
        client.get("/async/")
        run_jobs()
        assert client.post("/async/", {RETRY_FIELD: "1"}).status_code == 303


class TestDecorator:
    def test_function_view(self, client, run_jobs):
        assert client.get("/plus-one/41/").status_code == 202
        run_jobs()
        assert client.get("/plus-one/41/").content == b"plus one: 42"

    def test_async_function_view(self, client, alice, run_jobs):
        assert client.get("/async-fifteen/").status_code == 202
        run_jobs()
        client.force_login(alice)  # vary_on_user=False: the result is shared
        assert client.get("/async-fifteen/").content == b"fifteen: 15"

    def test_refuses_unrunnable_task(self):
        from django_rq_poll.views import polling_view

        with pytest.raises(TypeError, match="lambda"):
            polling_view(lambda: 1)


class TestMisconfigured:
    def test_view_without_task(self, rf):
        from django.views.generic import TemplateView

        from django_rq_poll.views import PollingMixin

        class NoTask(PollingMixin, TemplateView):
            template_name = "tests/sum.html"

        with pytest.raises(poll.ImproperlyConfigured) as caught:
            NoTask.as_view()(rf.get("/"))
        assert str(caught.value) == (
            "NoTask needs a task: set task = <function or dotted path> or define get_task()."
        )


def _wait_until(predicate, timeout: float = 20) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)


class TestOverriddenKeyStaysPerUser:
    """Overriding the page key must never share one user's result with another."""

    @pytest.mark.django_db(transaction=True)
    def test_mixin_override_keeps_the_user_part(self, client, django_user_model, run_jobs):
        """Through the real mixin: get_polling_url() gives one key for all, and each
        user still gets a job (and a result) of their own under it."""
        alice = django_user_model.objects.create_user("alice-m", password="pw")
        bob = django_user_model.objects.create_user("bob-m", password="pw")
        client.force_login(alice)
        first = client.get("/fixed-key-mixin/?utm=1")
        assert first.status_code == 202
        assert (
            poll.get_taskid_from_url(f"/same-for-all/#user={alice.pk}")
            == (first.context["task_id"])
        )
        assert poll.get_taskid_from_url("/same-for-all/") is None
        run_jobs()
        assert client.get("/fixed-key-mixin/?utm=2").content == b"for alice-m"
        client.force_login(bob)
        second = client.get("/fixed-key-mixin/")
        assert second.status_code == 202  # bob's own job, not alice's result
        assert second.context["task_id"] != first.context["task_id"]
        assert (
            poll.get_taskid_from_url(f"/same-for-all/#user={bob.pk}") == (second.context["task_id"])
        )
        run_jobs()
        assert client.get("/fixed-key-mixin/").content == b"for bob-m"
        client.logout()
        assert client.get("/fixed-key-mixin/").status_code == 202  # anonymous: its own
        assert poll.get_taskid_from_url("/same-for-all/") is not None

    @pytest.mark.django_db(transaction=True)
    def test_decorator_polling_url_keeps_the_user_part(self, client, django_user_model, run_jobs):
        alice = django_user_model.objects.create_user("alice-k", password="pw")
        bob = django_user_model.objects.create_user("bob-k", password="pw")
        client.force_login(alice)
        assert client.get("/fixed-key/").status_code == 202
        run_jobs()
        assert client.get("/fixed-key/").content == b"for alice-k"
        client.force_login(bob)
        assert client.get("/fixed-key/").status_code == 202  # bob's own job, not alice's


# -- pages that tell the truth (issue 12) -----------------------------------------------
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("staff", is_staff=True))
    return client


def wait_until(predicate, what, seconds=30):
    import time

    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


class TestWaitingJobs:
    def test_queued_job_says_it_waits_and_where(self, client):
        for x in (1, 2):
            poll.begin_process(tasks.add, (x, 0), polling_url=f"/other-{x}/")
        client.get("/sum/?x=9")
        page = client.get("/sum/?x=9").content.decode()
        assert "This process is waiting to start: it is number 3 in the queue." in page
        assert "currently running" not in page
        assert "No worker is listening" not in page  # not for anonymous visitors
        status = status_of(client, only_job_of(client, "/sum/?x=9")).json()
        assert (status["position"], status["workers"], status["notice"]) == (3, None, None)

    @pytest.mark.parametrize("who", ["staff", "debug"])
    def test_no_worker_notice_names_the_command(
        self, client, transactional_db, django_user_model, settings, who
    ):
        if who == "staff":
            staff_client(client, django_user_model)
        else:
            settings.DEBUG = True
        notice = (
            "No worker is listening on the queue “default”, so this job waits until one "
            "starts. Start one with: python manage.py rqworker default"
        )
        first = client.get("/sum/")
        assert notice in first.content.decode()  # the first page too
        assert notice in client.get("/sum/", **HX).content.decode()
        data = status_of(client, first.context["task_id"]).json()
        assert (data["position"], data["workers"], data["notice"]) == (1, 0, notice)

    def test_command_carries_the_queue_serializer(
        self, client, transactional_db, django_user_model
    ):
        staff_client(client, django_user_model)
        page = client.get("/json-queue-sum/").content.decode()
        assert (
            "Start one with: python manage.py rqworker json "
            "--serializer rq.serializers.JSONSerializer"
        ) in page

    def test_busy_worker_counts_and_running_job_has_no_position(
        self, client, transactional_db, django_user_model, rqworker, redis_db, monkeypatch
    ):
        monkeypatch.setattr(backends, "WORKER_COUNT_TTL", 0)  # count afresh on every page
        staff_client(client, django_user_model)
        key = f"hold-{uuid.uuid4().hex}"
        held = poll.begin_process(tasks.wait_for, (key,), polling_url="/held/")
        rqworker("default")
        wait_until(lambda: redis_db.get(f"{key}:started"), "the worker to take the job")
        queued = client.get("/sum/")  # queued behind the held job
        assert "No worker is listening" not in queued.content.decode()
        data = status_of(client, queued.context["task_id"]).json()
        assert (data["position"], data["workers"], data["notice"]) == (1, 1, None)
        running = status_of(client, held).json()
        assert (running["state"], running["position"], running["workers"]) == (
            "running",
            None,
            None,
        )
        assert running["status"] == "This process is currently running in the background."
        redis_db.set(key, 1)

    def test_async_pages_tell_the_wait_natively(
        self, client, transactional_db, django_user_model, monkeypatch
    ):
        from django_rq_poll.drivers import aio

        def refuse(*args, **kwargs):
            raise AssertionError("an async page went to a thread")

        monkeypatch.setattr(aio, "sync_to_async", refuse)
        for x in (1, 2):
            poll.begin_process(tasks.add, (x, 0), polling_url=f"/other-{x}/")
        staff_client(client, django_user_model)
        first = client.get("/async/")
        assert first.status_code == 202
        page = client.get("/async/").content.decode()
        assert "This process is waiting to start: it is number 3 in the queue." in page
        assert "Start one with: python manage.py rqworker default" in page
        # a worker registered on the queue (counted afresh: the count is kept 2 s)
        backends.backend().remember_worker_count(1)
        assert "No worker is listening" not in client.get("/async/").content.decode()

    def test_worker_count_is_reused_briefly(self, client, monkeypatch):
        calls = []
        real = backends.Backend.remember_worker_count

        def counting(self, count):
            calls.append(count)
            return real(self, count)

        monkeypatch.setattr(backends.Backend, "remember_worker_count", counting)
        for _ in range(3):
            client.get("/sum/")
        assert len(calls) == 1

    def test_finished_job_costs_no_queue_reads(self, client, run_jobs, monkeypatch):
        from django_rq_poll.core import reads

        client.get("/sum/")
        run_jobs()

        def refuse(*args, **kwargs):
            raise AssertionError("a finished page asked the queue")

        monkeypatch.setattr(reads, "wait", refuse)
        assert client.get("/sum/").status_code == 200


def only_job_of(client, url):
    return poll.get_taskid_from_url(url)


class TestWorkerCannotReadTheJob:
    def test_failure_page_tells_staff_the_serializer(
        self, client, transactional_db, django_user_model, rqworker
    ):
        staff_client(client, django_user_model)
        client.get("/json-queue-sum/")
        worker = rqworker("json", *BURST)  # without the queue's --serializer
        assert worker.wait(timeout=60) == 0
        response = client.get("/json-queue-sum/")
        assert response.status_code == 500
        page = response.content.decode()
        assert "rq.exceptions.DeserializationError" in page
        assert (
            "The worker could not read this job: it was started without the serializer of "
            "the queue “json” (rq.serializers.JSONSerializer), or without the code of the "
            "job&#x27;s arguments. Start its workers with: python manage.py rqworker json "
            "--serializer rq.serializers.JSONSerializer"
        ) in page

    def test_other_failures_get_no_serializer_hint(
        self, client, transactional_db, django_user_model, run_jobs
    ):
        staff_client(client, django_user_model)
        client.get("/fail/")
        run_jobs()
        assert "could not read this job" not in client.get("/fail/").content.decode()


class TestErrorLabel:
    def test_debug_names_debug(self, client, settings, run_jobs):
        settings.DEBUG = True
        client.get("/fail/")
        run_jobs()
        page = client.get("/fail/").content.decode()
        assert "<summary>Error (shown because DEBUG is on)</summary>" in page
        assert "staff only" not in page

    def test_staff_sees_staff_label(self, client, transactional_db, django_user_model, run_jobs):
        staff_client(client, django_user_model)
        client.get("/fail/")
        run_jobs()
        page = client.get("/fail/").content.decode()
        assert "<summary>Error (shown to staff only)</summary>" in page


class TestFailureStatus:
    @pytest.mark.parametrize("url", ["/quiet-fail/", "/quiet-fail-function/"])
    def test_view_chooses_the_status(self, client, run_jobs, url):
        client.get(url)
        run_jobs()
        response = client.get(url)
        assert response.status_code == 200
        assert "This process failed." in response.content.decode()
        assert client.get(url, **HX).status_code == 286  # htmx swaps no other status

    def test_default_stays_500(self, client, run_jobs):
        client.get("/fail/")
        run_jobs()
        assert client.get("/fail/").status_code == 500


class TestOutageWhilePolling:
    def test_htmx_partial_says_the_connection_is_lost_and_keeps_polling(
        self, client, monkeypatch, caplog
    ):
        assert client.get("/sum/", **HX).status_code == 202
        kill_redis(monkeypatch)
        lost = client.get("/sum/", **HX)
        assert lost.status_code == 200  # htmx swaps no 503
        assert lost["Retry-After"] == "10"
        page = lost.content.decode()
        assert "The connection to the server was lost. Trying again…" in page
        assert 'hx-get="/sum/" hx-trigger="every 10000ms" hx-swap="outerHTML"' in page
        assert "outage" in caplog.text
        monkeypatch.undo()  # Redis is back
        backends.clear_cache()
        back = client.get("/sum/", **HX)
        assert back.status_code == 202
        assert "waiting to start" in back.content.decode()

    def test_running_page_carries_the_lost_text_for_the_script(self, client):
        page = client.get("/sum/").content.decode()
        assert 'data-rq-poll-lost="The connection to the server was lost. Trying again…"' in page


class TestFileResults:
    BROWSER = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8"}

    def test_browser_gets_a_ready_page_that_fetches_the_file_once(self, client, run_jobs):
        task_id = client.get("/file/", **self.BROWSER).context["task_id"]
        run_jobs()
        ready = client.get("/file/", **self.BROWSER)
        assert ready.status_code == 200
        assert "no-store" in ready["Cache-Control"]
        page = ready.content.decode()
        assert '<meta http-equiv="refresh" content="0; url=/file/?rq_poll_deliver=1">' in page
        assert '<a href="/file/?rq_poll_deliver=1" data-rq-poll-result>Download it again</a>' in (
            page
        )
        assert "<h1>Your file is ready</h1>" in page
        delivered = client.get("/file/?rq_poll_deliver=1", **self.BROWSER)
        assert delivered["Content-Disposition"] == 'attachment; filename="answer.csv"'
        assert b"".join(delivered.streaming_content) == b"answer,42\n"
        assert poll.get_taskid_from_url("/file/") == task_id  # the marker is not in the key

    def test_scripts_get_the_file_itself(self, client, run_jobs):
        client.get("/file/")
        run_jobs()
        response = client.get("/file/")  # no Accept: text/html (curl, fetch, the test client)
        assert response["Content-Disposition"] == 'attachment; filename="answer.csv"'
        assert b"".join(response.streaming_content) == b"answer,42\n"

    def test_marker_alone_starts_the_same_job(self, client):
        task_id = client.get("/file/?rq_poll_deliver=1").context["task_id"]
        assert poll.get_taskid_from_url("/file/") == task_id
        assert client.get("/file/?a=1&rq_poll_deliver=1").context["page_url"] == "/file/?a=1"

    def test_htmx_swaps_in_a_ready_fragment_that_fetches_once(self, client, run_jobs):
        client.get("/file/", **HX)
        run_jobs()
        ready = client.get("/file/", **HX)
        assert ready.status_code == 286
        assert "HX-Redirect" not in ready  # htmx would follow it again on every poll
        page = ready.content.decode()
        assert 'hx-trigger="every' not in page
        assert (
            '<span hidden hx-get="/file/?rq_poll_deliver=1" hx-trigger="load" '
            'hx-swap="none"></span>'
        ) in page
        assert "Download it again" in page
        deliver = client.get("/file/?rq_poll_deliver=1", **HX)
        assert deliver["HX-Redirect"] == "/file/?rq_poll_deliver=1"
        assert deliver.content == b""

    def test_htmx_redirect_and_json_results(self, client, run_jobs):
        client.get("/redirect/", **HX)
        client.get("/json/", **HX)
        run_jobs()
        redirect = client.get("/redirect/", **HX)
        assert redirect.status_code == 286
        assert "HX-Redirect" not in redirect
        page = redirect.content.decode()
        assert '<a href="/done/42/" data-rq-poll-result>Open the result</a>' in page
        assert 'hx-get="/redirect/?rq_poll_deliver=1" hx-trigger="load"' in page
        assert client.get("/redirect/?rq_poll_deliver=1", **HX)["HX-Redirect"] == "/done/42/"
        assert client.get("/json/", **HX).status_code == 286
        assert client.get("/json/?rq_poll_deliver=1", **HX)["HX-Redirect"] == "/json/"
        # Without htmx a redirect and JSON are answered as they are.
        assert client.get("/redirect/", **self.BROWSER)["Location"] == "/done/42/"
        assert client.get("/json/", **self.BROWSER).json() == {"answer": 42}
