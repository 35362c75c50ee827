"""Bounded work per visitor: the cap, its decay, load shedding, lifetimes, URL length."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory

import django_rq_poll as poll
from django_rq_poll.core import keys, limits, plan, writes
from django_rq_poll.drivers import backends
from tests import tasks
from tests.redis_server import written
from tests.views import FailView

from .helpers import active_jobs


def jobs(redis_db) -> list[bytes]:
    return sorted(redis_db.keys(b"rq:job:*"))


def queued(redis_db) -> int:
    return int(redis_db.llen(backends.backend().queue.key))


@pytest.fixture
def cap(settings):
    def set_cap(limit, **more):
        settings.RQ_POLL = {"QUEUE": "default", "MAX_ACTIVE_JOBS": limit, **more}

    return set_cap


class TestCapPerVisitor:
    def test_over_the_cap_a_page_answers_429_and_starts_nothing(self, client, cap, redis_db):
        cap(3)
        for x in range(3):
            assert client.get(f"/sum/?x={x}").status_code == 202
        before = jobs(redis_db)
        response = client.get("/sum/?x=99")
        assert response.status_code == 429
        assert response["Retry-After"] == "10"
        assert "no-store" in response["Cache-Control"]
        assert b"3 pieces of work running" in response.content
        assert b'http-equiv="refresh"' in response.content
        assert jobs(redis_db) == before
        assert queued(redis_db) == 3
        assert poll.get_taskid_from_url("/sum/?x=99") is None

    def test_status_endpoint_and_running_pages_are_unaffected(self, client, cap):
        cap(1)
        task_id = client.get("/sum/?x=1").context["task_id"]
        assert client.get("/sum/?x=2").status_code == 429
        assert client.get("/sum/?x=1").status_code == 202  # its own job: no new one
        status = client.get(f"/rq-poll/status/{task_id}/")
        assert status.status_code == 200
        assert status.json()["state"] == "pending"

    @pytest.mark.parametrize("page", ["/async/", "/plus-one/5/", "/async-fifteen/"])
    def test_async_views_and_the_decorator_are_capped_too(self, client, cap, redis_db, page):
        cap(1)
        client.get("/sum/?x=1")
        before = jobs(redis_db)
        response = client.get(page)
        assert response.status_code == 429
        assert response["Retry-After"] == "10"
        assert jobs(redis_db) == before

    def test_htmx_gets_a_partial(self, client, cap):
        cap(1)
        client.get("/sum/?x=1")
        response = client.get("/sum/?x=2", headers={"HX-Request": "true"})
        assert response.status_code == 200  # htmx swaps no error response
        assert response["Retry-After"] == "10"
        assert b"<html" not in response.content
        assert b"data-rq-poll-htmx" in response.content
        assert b'hx-trigger="load delay:10s"' in response.content

    def test_retry_post_over_the_cap_answers_429(self, client, cap, run_jobs):
        cap(1)
        client.get("/fail/")
        run_jobs()
        client.get("/sum/?x=1")  # the failed job left the count; this one takes the slot
        response = client.post("/fail/", {"rq_poll_retry": "1"})
        assert response.status_code == 429

    def test_each_address_and_each_user_has_its_own_cap(self, cap, alice, bob):
        cap(1)
        here, there = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.2")
        assert here.get("/sum/?x=1").status_code == 202
        assert here.get("/sum/?x=2").status_code == 429
        assert there.get("/sum/?x=2").status_code == 202
        # a logged-in user counts as the user, whatever the address
        users = [Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.3")]
        users[0].force_login(alice)
        users[1].force_login(alice)
        assert users[0].get("/sum/?x=3").status_code == 202
        assert users[1].get("/sum/?x=4").status_code == 429
        other = Client(REMOTE_ADDR="10.0.0.1")
        other.force_login(bob)
        assert other.get("/sum/?x=4").status_code == 202

    def test_visitor_key_hook_for_sites_behind_a_proxy(self, cap):
        cap(1, VISITOR_KEY="mysite.visitors.client_ip")  # docs/deployment.rst's recipe
        proxy = {"REMOTE_ADDR": "127.0.0.1"}
        one = Client(**proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
        two = Client(**proxy, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9")
        assert one.get("/sum/?x=1").status_code == 202
        assert two.get("/sum/?x=2").status_code == 202  # another client, same proxy
        assert one.get("/sum/?x=3").status_code == 429
        spoofed = Client(**proxy, HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7")
        assert spoofed.get("/sum/?x=4").status_code == 429  # only the proxy's entry counts

    @pytest.mark.parametrize(
        ("proxies", "header"),
        [
            (0, "203.0.113.5, 10.0.0.{}"),  # no proxy: the client wrote all of it
            (2, "10.0.0.{}, 203.0.113.5, 198.51.100.4"),  # client's, then two proxies'
        ],
    )
    def test_the_recipe_never_reads_what_the_client_wrote(self, cap, monkeypatch, proxies, header):
        """Without a proxy (or with more than one), a fresh X-Forwarded-For per request
        does not make a fresh visitor: only entries your own proxies appended count."""
        from mysite import visitors

        monkeypatch.setattr(visitors, "TRUSTED_PROXIES", proxies)
        cap(1, VISITOR_KEY="mysite.visitors.client_ip")
        codes = [
            Client(REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=header.format(n))
            .get(f"/sum/?x={n}")
            .status_code
            for n in range(5)
        ]
        assert codes == [202] + [429] * 4

    def test_no_cap_when_the_setting_is_none(self, client, cap):
        cap(None)
        assert all(client.get(f"/sum/?x={x}").status_code == 202 for x in range(15))

    def test_default_cap_is_ten(self, client, redis_db):
        codes = [client.get(f"/sum/?x={x}").status_code for x in range(12)]
        assert codes == [202] * 10 + [429] * 2
        assert len(jobs(redis_db)) == 10


class TestSlotsDecay:
    """A job leaves its visitor's count however it ends: no slot is held for ever."""

    def test_finished_jobs_free_their_slots(self, client, cap, run_jobs):
        cap(1)
        client.get("/sum/?x=1")
        assert client.get("/sum/?x=2").status_code == 429
        run_jobs()
        assert client.get("/sum/?x=2").status_code == 202

    def test_failed_jobs_free_their_slots(self, client, cap, run_jobs):
        cap(1)
        client.get("/fail/")
        run_jobs()
        assert client.get("/sum/?x=2").status_code == 202

    def test_canceled_and_deleted_jobs_free_their_slots(self, client, cap, redis_db):
        cap(1)
        task_id = client.get("/sum/?x=1").context["task_id"]
        assert poll.cancel_process(task_id=task_id)
        task_id = client.get("/sum/?x=2").context["task_id"]
        redis_db.delete(f"rq:job:{task_id}")  # evicted, or deleted by an operator
        assert client.get("/sum/?x=3").status_code == 202

    def test_jobs_expired_from_the_queue_free_their_slots(self, client, cap, redis_db):
        cap(1, QUEUED_TTL=1)
        old = client.get("/sum/?x=1").context["task_id"]
        assert client.get("/sum/?x=2").status_code == 429
        time.sleep(1.5)  # rq's ttl: the queued job's hash expires
        assert not redis_db.exists(f"rq:job:{old}")
        assert client.get("/sum/?x=2").status_code == 202
        assert active_jobs(redis_db, "anonymous:127.0.0.1") != [old.encode()]

    def test_a_job_whose_worker_died_frees_its_slot(self, client, cap, redis_db):
        cap(1)
        task_id = client.get("/sum/?x=1").context["task_id"]
        # what a killed worker leaves: "started", its heartbeat in rq's wip registry expired
        redis_db.hset(f"rq:job:{task_id}", "status", "started")
        redis_db.zadd("rq:wip:default", {f"{task_id}:e1": time.time() - 1})
        assert client.get("/sum/?x=2").status_code == 202

    def test_a_job_whose_heartbeat_keys_were_evicted_keeps_its_slot(self, client, cap, redis_db):
        """No heartbeat entry at all is no evidence of a dead worker (a volatile-* policy
        evicts rq's TTL'd keys while the job runs): the slot stays taken."""
        cap(1)
        task_id = client.get("/sum/?x=1").context["task_id"]
        redis_db.hset(f"rq:job:{task_id}", "status", "started")
        assert client.get("/sum/?x=2").status_code == 429

    def test_a_running_job_keeps_its_slot(self, cap, rqworker, redis_db):
        cap(1)
        client = Client()
        client.get("/progress/?key=abuse-hold")
        rqworker("default")
        _wait(lambda: _running(redis_db))
        assert client.get("/sum/?x=2").status_code == 429
        redis_db.set("abuse-hold", 1)

    def test_the_visitor_set_expires(self, client, cap, redis_db):
        cap(2)
        client.get("/sum/?x=1")
        key = keys.visitor_key("anonymous:127.0.0.1")
        assert 0 < redis_db.ttl(key) <= 600 + 180 + 90


def _wait(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _running(redis_db) -> bool:
    return any(redis_db.hget(key, "status") == b"started" for key in jobs(redis_db))


class TestExactUnderConcurrency:
    @pytest.mark.parametrize("round_", range(10))
    def test_racing_starts_of_one_visitor_never_exceed_the_cap(self, cap, redis_db, round_):
        cap(3)
        racers, barrier = 12, threading.Barrier(12)
        answers: list[object] = []

        def race(n: int) -> None:
            barrier.wait()
            try:
                text = poll.check_status_or_begin(
                    tasks.add, (n, n), polling_url=f"/race/{round_}/{n}", visitor="racer"
                )
                answers.append(text.started)
            except poll.TooManyJobs as exc:
                answers.append(exc)

        threads = [threading.Thread(target=race, args=(n,)) for n in range(racers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert answers.count(True) == 3
        assert sum(isinstance(a, poll.TooManyJobs) for a in answers) == racers - 3
        assert len(jobs(redis_db)) == 3
        assert queued(redis_db) == 3


class TestApi:
    def test_api_raises_over_the_cap_and_stays_usable_without_a_visitor(self, cap, url):
        cap(1)
        poll.begin_process(tasks.add, (1, 2), polling_url=url, visitor="v")
        with pytest.raises(poll.TooManyJobs, match="MAX_ACTIVE_JOBS") as caught:
            poll.begin_process(tasks.add, (1, 2), polling_url=url + "2", visitor="v")
        assert caught.value.limit == 1
        with pytest.raises(poll.TooManyJobs):
            poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url + "3", visitor="v")
        # the job found running is answered whatever the cap
        assert not poll.check_status_or_begin(
            tasks.add, (1, 2), polling_url=url, visitor="v"
        ).started
        # without a visitor nothing is counted (scripts, management commands)
        assert poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url + "4").started

    def test_a_visitor_must_be_a_string(self, url):
        with pytest.raises(TypeError, match="visitor"):
            poll.begin_process(tasks.add, (1, 2), polling_url=url, visitor=3)

    def test_begun_in_a_transaction_counts_on_commit(self, cap, url, redis_db, transactional_db):
        from django.db import transaction

        cap(1)
        with transaction.atomic():
            poll.begin_process(tasks.add, (1, 2), polling_url=url, visitor="v")
        assert len(active_jobs(redis_db, "v")) == 1
        with pytest.raises(poll.TooManyJobs), transaction.atomic():
            poll.begin_process(tasks.add, (1, 2), polling_url=url + "2", visitor="v")

    def test_jobs_begun_in_one_open_transaction_count_at_once(
        self, cap, url, redis_db, transactional_db
    ):
        from django.db import transaction

        cap(2)

        def three_in_one_transaction() -> None:
            with transaction.atomic():
                for n in range(3):  # before the commit: no job is enqueued yet
                    poll.begin_process(tasks.add, (n, n), polling_url=f"{url}{n}", visitor="v")

        with pytest.raises(poll.TooManyJobs):
            three_in_one_transaction()
        assert jobs(redis_db) == []  # rolled back: nothing enqueued
        with transaction.atomic():
            task_id = poll.begin_process(tasks.add, (1, 1), polling_url=url, visitor="w")
            assert active_jobs(redis_db, "w") == [b"~" + task_id.encode()]  # a held slot
        assert active_jobs(redis_db, "w") == [task_id.encode()]  # the job's own entry
        assert jobs(redis_db) == [f"rq:job:{task_id}".encode()]

    def test_racing_transactions_never_pass_the_cap(self, cap, url, redis_db):
        cap(3)
        backend = backends.backend()
        gate = limits.for_visitor("racer")
        barrier, answers = threading.Barrier(10), []

        def begin_in_a_transaction(n: int) -> None:  # what each request does before commit
            barrier.wait()
            try:
                planned = plan.plan(backend, tasks.add, (), None, f"{url}{n}", True, {})
                backend.run(writes.reserve(planned, gate, uuid.uuid4().hex))
                answers.append(True)
            except poll.TooManyJobs as exc:
                answers.append(exc)

        threads = [threading.Thread(target=begin_in_a_transaction, args=(n,)) for n in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert answers.count(True) == 3

    def test_a_rolled_back_transactions_slot_lapses(
        self, cap, url, redis_db, transactional_db, monkeypatch
    ):
        from django.db import transaction

        cap(1)
        monkeypatch.setattr(limits, "RESERVED_SLOT", 1)

        def rolled_back() -> None:
            with transaction.atomic():
                poll.begin_process(tasks.add, (1, 1), polling_url=url, visitor="v")
                raise RuntimeError("the view failed: rolled back")

        with pytest.raises(RuntimeError):
            rolled_back()
        with pytest.raises(poll.TooManyJobs):
            poll.begin_process(tasks.add, (2, 2), polling_url=url + "2", visitor="v")
        time.sleep(1.2)
        assert poll.begin_process(tasks.add, (2, 2), polling_url=url + "2", visitor="v")


class TestLoadShedding:
    def test_past_the_queue_length_new_work_gets_503(self, client, settings, redis_db, url):
        settings.RQ_POLL = {"QUEUE": "default", "MAX_QUEUE_LENGTH": 2}
        poll.begin_process(tasks.add, (1, 2), polling_url=url)
        first = client.get("/sum/?x=1")
        assert first.status_code == 202
        before = jobs(redis_db)
        response = client.get("/sum/?x=2")
        assert response.status_code == 503
        assert response["Retry-After"] == "10"
        assert b"Too much work is waiting" in response.content
        assert jobs(redis_db) == before
        assert client.get("/sum/?x=1").status_code == 202  # queued already: unaffected
        with pytest.raises(poll.QueueFull, match="MAX_QUEUE_LENGTH"):
            poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url + "x", visitor="v")

    def test_queue_drains_and_work_is_taken_again(self, client, settings, run_jobs):
        settings.RQ_POLL = {"QUEUE": "default", "MAX_QUEUE_LENGTH": 1}
        client.get("/sum/?x=1")
        assert client.get("/sum/?x=2").status_code == 503
        run_jobs()
        assert client.get("/sum/?x=2").status_code == 202


class TestLifetimes:
    def test_a_visitors_queued_jobs_and_their_mappings_expire(self, redis_db, url):
        task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url, visitor="v")
        assert 0 < redis_db.ttl(f"rq:job:{task_id}") <= 600
        assert 0 < redis_db.ttl(keys.url_key(url)) <= 600 + 180 + 90

    def test_work_started_without_a_visitor_is_never_dropped(
        self, redis_db, url, settings, run_jobs
    ):
        """A model's save() starting work behind busy workers: nothing expires from the
        queue, however long they take (issue 19: a seak scenario never ran)."""
        settings.RQ_POLL = {"QUEUE": "default", "QUEUED_TTL": 1}
        ids = [poll.begin_process(tasks.add, (n, 1), polling_url=f"{url}{n}") for n in range(6)]
        assert all(redis_db.ttl(f"rq:job:{i}") == -1 for i in ids)
        assert all(redis_db.ttl(keys.url_key(f"{url}{n}")) == -1 for n in range(6))
        time.sleep(1.5)  # longer than QUEUED_TTL: the workers were busy
        run_jobs()
        assert [poll.get_process_result(f"{url}{n}") for n in range(6)] == [1, 2, 3, 4, 5, 6]

    def test_a_visitors_expired_job_reads_unknown_at_once(self, redis_db, url, settings):
        settings.RQ_POLL = {"QUEUE": "default", "QUEUED_TTL": 1}
        poll.begin_process(tasks.add, (1, 2), polling_url=url, visitor="v")
        assert poll.process_is_pending(url)
        time.sleep(1.5)
        assert poll.get_process_status(url) is None  # never a failure that did not happen
        assert not poll.process_has_failed(url)

    def test_a_page_whose_job_expired_unstarted_starts_it_again(self, client, settings, redis_db):
        settings.RQ_POLL = {"QUEUE": "default", "QUEUED_TTL": 1}
        old = client.get("/sum/?x=1").context["task_id"]
        time.sleep(1.5)
        new = client.get("/sum/?x=1").context["task_id"]
        assert new != old

    def test_a_started_job_outlives_its_queue_lifetime(self, settings, rqworker, redis_db, url):
        settings.RQ_POLL = {"QUEUE": "default", "QUEUED_TTL": 2}
        rqworker("default")
        _wait(lambda: redis_db.scard("rq:workers") > 0)  # started before the job is queued
        task_id = poll.begin_process(tasks.wait_for, ("abuse-go",), polling_url=url)
        _wait(lambda: poll.process_is_running(url))
        time.sleep(2.5)
        assert redis_db.ttl(f"rq:job:{task_id}") == -1  # rq persists a job it starts
        assert poll.get_taskid_from_url(url) == task_id
        assert poll.process_is_running(url)
        redis_db.set("abuse-go", 1)

    def test_a_job_failed_without_its_callback_keeps_its_mapping_as_long(self, redis_db, url):
        # A killed work-horse: rq marks the job failed, no callback settles the mapping,
        # which still has the bound of a queued job.
        task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
        redis_db.hset(f"rq:job:{task_id}", "status", "failed")
        redis_db.expire(f"rq:job:{task_id}", 5000)
        assert poll.process_has_failed(url)
        assert 4990 <= redis_db.ttl(keys.url_key(url)) <= 5000

    def test_anonymous_results_are_kept_minutes_not_a_day(self, client, run_jobs, redis_db, alice):
        """What one anonymous client can make Redis keep is what its jobs finish in
        ANONYMOUS_RESULT_TTL (600 s), not in a day; a user's results keep RESULT_TTL."""
        task_id = client.get("/sum/?x=7").context["task_id"]
        run_jobs()
        assert 0 < redis_db.ttl(f"rq:job:{task_id}") <= 600
        assert 0 < redis_db.ttl(keys.url_key("/sum/?x=7")) <= 600
        client.force_login(alice)
        task_id = client.get("/sum/?x=7").context["task_id"]
        run_jobs()
        assert redis_db.ttl(f"rq:job:{task_id}") > 600

    def test_anonymous_failures_are_kept_minutes_not_a_day(self, client, run_jobs, redis_db, alice):
        task_id = client.get("/fail/").context["task_id"]
        run_jobs()
        assert 0 < redis_db.ttl(f"rq:job:{task_id}") <= 300
        assert 0 < redis_db.ttl(keys.url_key("/fail/")) <= 300
        client.force_login(alice)
        task_id = client.get("/fail/").context["task_id"]
        run_jobs()
        assert redis_db.ttl(f"rq:job:{task_id}") > 300  # FAILURE_TTL: a day

    def test_a_view_may_keep_its_own_failure_ttl(self, run_jobs, redis_db):
        view = FailView.as_view(job_options={"failure_ttl": 5000})
        request = RequestFactory().get("/fail/")
        request.user = AnonymousUser()
        task_id = view(request).context_data["task_id"]
        run_jobs()
        assert redis_db.ttl(f"rq:job:{task_id}") > 300


class TestUrlLength:
    def test_a_page_over_the_length_limit_answers_414_and_stores_nothing(self, client, redis_db):
        response = client.get("/sum/?x=1&pad=" + "a" * 2100)
        assert response.status_code == 414
        assert b"longer than the 2048 characters" in response.content
        assert written(redis_db) == []
        assert client.post("/sum/?pad=" + "a" * 2100, {"rq_poll_retry": "1"}).status_code == 414

    def test_the_limit_is_a_setting(self, client, settings):
        settings.RQ_POLL = {"QUEUE": "default", "MAX_URL_LENGTH": 20}
        assert client.get("/sum/?x=1").status_code == 202
        assert client.get("/sum/?x=1&y=2&z=33333").status_code == 414

    def test_the_polling_url_is_stored_once(self, client, redis_db):
        marker = "Q" * 1000
        task_id = client.get(f"/sum/?x=1&pad={marker}").context["task_id"]
        raw = b"".join(redis_db.hgetall(f"rq:job:{task_id}").values())
        assert raw.count(marker.encode()) == 1
