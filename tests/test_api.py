from __future__ import annotations

import asyncio
import inspect
import threading
import time

import pytest
from django.db import transaction
from rq.job import Job

import django_rq_poll as poll
from django_rq_poll import State, api
from django_rq_poll.conf import conf
from django_rq_poll.core import keys, meta, writes
from django_rq_poll.core.plan import JOB_OPTIONS
from django_rq_poll.drivers import backends
from tests import tasks
from tests.redis_server import written
from tests.workers import BURST

# Every test runs through the sync functions and again through their async twins.
pytestmark = pytest.mark.usefixtures("side")

BEGUN = "This process has begun and will be running in the background."
RUNNING = "This process is currently running in the background."
COMPLETE = "This process is complete."


def job_count(redis_db, queue: str = "default") -> int:
    return int(redis_db.llen(f"rq:queue:{queue}"))


class TestBegin:
    def test_returns_id_and_maps_the_url(self, url, redis_db):
        task_id = poll.begin_process(tasks.add, task_args=(3, 5), polling_url=url)
        assert isinstance(task_id, str)
        assert keys.is_valid_job_id(task_id)
        assert poll.get_taskid_from_url(url) == task_id
        assert poll.get_url_from_taskid(task_id) == url
        assert poll.process_is_pending(url)
        assert job_count(redis_db) == 1

    def test_always_starts_a_new_job_and_switches_the_url(self, url, redis_db):
        first = poll.begin_process(tasks.add, (1, 1), polling_url=url)
        second = poll.begin_process(tasks.add, (1, 1), polling_url=url)
        assert first != second
        assert poll.get_taskid_from_url(url) == second
        assert job_count(redis_db) == 2

    def test_without_cache_results_writes_no_mapping(self, url, redis_db):
        task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url, cache_results=False)
        assert poll.get_taskid_from_url(url) is None
        assert poll.process_is_pending(task_id=task_id)
        assert not list(redis_db.scan_iter(match=keys.url_key_pattern()))

    def test_result_is_served_without_running_again(self, url, redis_db, run_jobs):
        args = ("runs", 3, 5)
        text = poll.check_status_or_begin(tasks.counted_add, args, polling_url=url)
        assert text == BEGUN and text.started
        run_jobs()
        assert poll.process_is_complete(url)
        assert poll.get_process_result(url) == 8
        again = poll.check_status_or_begin(tasks.counted_add, args, polling_url=url)
        assert not again.started and again.task_id == text.task_id
        assert again.state is State.COMPLETE
        run_jobs()
        assert int(redis_db.get("runs")) == 1

    def test_seed_flow(self, url, run_jobs):
        """The seed's common flow of control, with only the import changed."""
        for _ in range(2):
            if poll.process_is_complete(url):
                result = str(poll.get_process_result(url))
                break
            status = poll.check_status_or_begin(tasks.add, task_args=(3, 5), polling_url=url)
            assert status in (BEGUN, RUNNING)
            run_jobs()
        assert result == "8"

    def test_job_options_pass_through(self, url, redis_db, run_jobs):
        task_id = poll.begin_process(
            tasks.add,
            (2, 2),
            polling_url=url,
            queue="other",
            timeout=30,
            result_ttl=77,
            description="two and two",
            meta={"mine": 1},
        )
        job = Job.fetch(task_id, connection=redis_db)
        assert (job.origin, job.timeout, job.result_ttl, job.description) == (
            "other",
            30,
            77,
            "two and two",
        )
        assert job.meta["mine"] == 1
        run_jobs("other")
        assert poll.get_process_result(url) == 4
        assert 70 <= redis_db.ttl(keys.url_key(url)) <= 77

    def test_user_callbacks_still_run(self, url, redis_db, run_jobs):
        poll.begin_process(tasks.add, (2, 3), polling_url=url, on_success="tests.test_api.remember")
        run_jobs()
        assert redis_db.get("callback-saw") == b"5"

    @pytest.mark.parametrize(
        ("options", "word"),
        [
            ({"job_id": "x"}, "job_id"),
            ({"unique": True}, "unique"),
            ({"depends_on": "x"}, "depends_on"),
            ({"colour": "red"}, "colour"),
            ({"queue": 3}, "queue"),
        ],
    )
    def test_bad_options_are_refused(self, url, redis_db, options, word):
        with pytest.raises(TypeError, match=word):
            poll.begin_process(tasks.add, (1, 2), polling_url=url, **options)
        assert written(redis_db) == []

    def test_unknown_queue_is_a_configuration_error(self, url):
        with pytest.raises(poll.ImproperlyConfigured, match="nope"):
            poll.begin_process(tasks.add, (1, 2), polling_url=url, queue="nope")


def remember(job, connection, result, *args, **kwargs):
    connection.set("callback-saw", result)


class TestTaskValidation:
    def test_lambda(self, url, redis_db):
        with pytest.raises(TypeError, match="A lambda cannot run in a worker"):
            poll.begin_process(lambda: 1, polling_url=url)
        assert written(redis_db) == []

    def test_nested_function(self, url, redis_db):
        def inner():
            return 1

        with pytest.raises(TypeError, match="inside another function"):
            poll.check_status_or_begin(inner, polling_url=url)
        assert written(redis_db) == []

    @pytest.mark.parametrize("task", [42, None, "tests.tasks.nothing_here", "tests.tasks.Holder()"])
    def test_not_a_task(self, url, redis_db, task):
        with pytest.raises(TypeError):
            poll.begin_process(task, polling_url=url)
        assert written(redis_db) == []

    def test_bound_method_of_an_instance(self, url, redis_db):
        class Page:
            task = tasks.add  # a plain function as a class attribute binds to instances

        with pytest.raises(TypeError, match="bound to a Page instance"):
            poll.begin_process(Page().task, (1, 2), polling_url=url)
        assert written(redis_db) == []

    def test_bad_arguments(self, url, redis_db):
        with pytest.raises(TypeError, match="task_args"):
            poll.begin_process(tasks.add, task_args=5, polling_url=url)
        with pytest.raises(TypeError, match="task_kwargs"):
            poll.begin_process(tasks.add, task_kwargs=[1], polling_url=url)
        with pytest.raises(TypeError, match="cannot be serialized"):
            poll.begin_process(tasks.echo, (threading.Lock(),), polling_url=url)
        assert written(redis_db) == []

    def test_decorated_dotted_and_static(self, url, run_jobs):
        ids = [
            poll.begin_process(tasks.decorated_add, (1, 2), polling_url=url + "a"),
            poll.begin_process("tests.tasks.add", (1, 2), polling_url=url + "b"),
            poll.begin_process(tasks.Holder.static_add, (1, 2), polling_url=url + "c"),
        ]
        run_jobs()
        assert [poll.get_process_result(task_id=i) for i in ids] == [3, 3, 3]


class TestCheckStatusOrBegin:
    def test_queued_job_is_not_started_twice(self, url, redis_db):
        first = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
        second = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
        assert (first, second) == (BEGUN, RUNNING)
        assert first.task_id == second.task_id and not second.started
        assert job_count(redis_db) == 1

    def test_without_polling_url_reports_the_job_id(self, redis_db):
        started = poll.check_status_or_begin(tasks.add, (1, 2), task_id="never-seen")
        assert started.started and started.task_id != "never-seen"
        again = poll.check_status_or_begin(tasks.add, (1, 2), task_id=started.task_id)
        assert not again.started and again.task_id == started.task_id
        assert job_count(redis_db) == 1

    def test_failed_job_reports_its_error_and_is_started_afresh(self, url, run_jobs):
        first = poll.check_status_or_begin(tasks.fail, ("kaput",), polling_url=url)
        run_jobs()
        assert poll.process_has_failed(url)
        assert poll.get_process_status(url) is State.FAILED
        with pytest.raises(poll.ProcessFailed, match="kaput") as info:
            poll.get_process_result(url)
        assert "RuntimeError: kaput" in info.value.error
        assert info.value.task_id == first.task_id
        again = poll.check_status_or_begin(tasks.fail, ("kaput",), polling_url=url)
        assert again.started and again.task_id != first.task_id
        assert poll.process_is_pending(url)

    def test_threads_start_exactly_one_job(self, url, redis_db):
        barrier = threading.Barrier(16)
        seen: list[str] = []

        def call() -> None:
            barrier.wait()
            seen.append(poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url).task_id)

        threads = [threading.Thread(target=call) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(seen) == 16 and len(set(seen)) == 1
        assert job_count(redis_db) == 1
        assert poll.get_taskid_from_url(url) == seen[0]


class TestVanished:
    def test_deleted_job_reads_unknown_and_heals(self, url, redis_db):
        task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
        redis_db.delete(Job.key_for(task_id))
        assert poll.get_process_status(url) is None
        assert not redis_db.exists(keys.url_key(url))
        assert poll.get_process_result(url) is None
        assert poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url).started

    def test_lost_result_reads_unknown(self, url, redis_db, run_jobs):
        task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
        run_jobs()
        redis_db.delete(f"rq:results:{task_id}")
        assert not poll.process_is_complete(url)
        assert poll.get_process_result(url) is None
        assert poll.get_taskid_from_url(url) is None

    def test_abandoned_job_reads_failed_and_is_restarted(self, url, redis_db):
        """rq's own bookkeeping for a job whose worker died: started, heartbeat expired."""
        task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
        redis_db.lpop("rq:queue:default")
        redis_db.hset(Job.key_for(task_id), "status", "started")
        redis_db.zadd(f"rq:executions:{task_id}", {"e1": time.time() + 100})
        redis_db.zadd("rq:wip:default", {f"{task_id}:e1": time.time() + 60})
        assert poll.process_is_running(url)
        redis_db.zadd("rq:wip:default", {f"{task_id}:e1": time.time() - 1})
        assert not poll.process_is_running(url)
        assert poll.process_has_failed(url)
        with pytest.raises(
            poll.ProcessFailed, match=r"^the worker running this job stopped sending heartbeats"
        ):
            poll.get_process_result(url)
        assert redis_db.ttl(keys.url_key(url)) > 0  # no orphan without expiry
        again = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
        assert again.started and again.task_id != task_id


class TestLookups:
    def test_need_url_or_id(self):
        for func in (
            poll.process_is_running_or_complete,
            poll.process_is_running,
            poll.process_is_complete,
            poll.process_is_pending,
            poll.process_has_failed,
            poll.get_process_status,
            poll.get_process_result,
            poll.get_process_progress,
            poll.forget_process,
            poll.cancel_process,
        ):
            with pytest.raises(ValueError, match="polling_url or a task_id"):
                func()
        with pytest.raises(ValueError, match="polling_url"):
            poll.get_taskid_from_url()
        with pytest.raises(ValueError, match="task_id"):
            poll.get_url_from_taskid()

    @pytest.mark.parametrize("bad", ["", "../x", "x" * 10_000, "ünïcødé", "a b", "rq:job:1"])
    def test_malformed_ids_answer_unknown(self, bad):
        assert poll.get_process_status(task_id=bad) is None
        assert poll.process_is_running_or_complete(task_id=bad) is False
        assert poll.get_process_result(task_id=bad) is None
        assert poll.get_url_from_taskid(bad) is None
        assert poll.forget_process(task_id=bad) is False
        assert poll.cancel_process(task_id=bad) is False

    @pytest.mark.parametrize("odd", ["", "\x00\n\t", "ü" * 2048, "\ud800", "/a?b=c&d=e#f"])
    def test_any_string_is_a_polling_url(self, odd, run_jobs):
        task_id = poll.begin_process(tasks.add, (1, 2), polling_url=odd)
        assert poll.get_taskid_from_url(odd) == task_id
        assert poll.get_url_from_taskid(task_id) == odd
        run_jobs()
        assert poll.get_process_result(odd) == 3

    def test_running_state(self, url, redis_db, rqworker):
        poll.begin_process(tasks.wait_for, ("go",), polling_url=url)
        worker = rqworker("default", *BURST)
        try:
            _wait(lambda: poll.process_is_running(url))
            assert poll.get_process_status(url) is State.RUNNING
            assert poll.process_is_running_or_complete(url)
            assert poll.get_process_result(url) is None
            assert poll.check_status_or_begin(tasks.wait_for, ("go",), polling_url=url) == RUNNING
        finally:
            redis_db.set("go", 1)
            worker.wait(timeout=30)
        assert poll.get_process_result(url) == "released"

    def test_mapping_lives_as_long_as_the_result(self, url, redis_db, run_jobs, settings):
        settings.RQ_POLL = {"QUEUE": "default", "RESULT_TTL": 300, "FAILURE_TTL": 900}
        poll.begin_process(tasks.add, (1, 2), polling_url=url, visitor="v")
        poll.begin_process(tasks.fail, polling_url=url + "f")
        # a visitor's queued job: as long as it may wait (QUEUED_TTL) and run (rq's 180 s
        # timeout); one started without a visitor waits for ever, and so does its mapping
        assert 0 < redis_db.ttl(keys.url_key(url)) <= 600 + 180 + 90
        assert redis_db.ttl(keys.url_key(url + "f")) == -1
        run_jobs()
        assert 290 <= redis_db.ttl(keys.url_key(url)) <= 300
        assert 890 <= redis_db.ttl(keys.url_key(url + "f")) <= 900

    def test_mapping_of_a_job_waiting_for_a_retry_does_not_expire(self, url, redis_db, run_jobs):
        from rq import Retry

        poll.begin_process(tasks.fail, polling_url=url, retry=Retry(max=1, interval=600))
        run_jobs()  # the first attempt fails; rq schedules the retry
        assert poll.get_process_status(url) is State.PENDING
        assert redis_db.ttl(keys.url_key(url)) == -1

    def test_a_visitors_job_that_may_retry_is_mapped_without_expiry(self, url, redis_db):
        """A visitor's job is mapped for its queue lifetime and timeout, but one with
        retries may be run again long after: nothing bounds it."""
        from rq import Retry

        poll.begin_process(tasks.add, (1, 2), polling_url=url, visitor="v", retry=Retry(max=1))
        poll.begin_process(tasks.add, (1, 2), polling_url=url + "n", visitor="v")
        assert redis_db.ttl(keys.url_key(url)) == -1
        assert redis_db.ttl(keys.url_key(url + "n")) > 0

    def test_json_serializer(self, url, run_jobs):
        poll.begin_process(tasks.echo, ({"a": (1, 2)},), polling_url=url, queue="json")
        run_jobs("json")
        assert poll.get_process_result(url) == {"a": [1, 2]}

    def test_sync_queue(self, url, redis_db):
        task_id = poll.begin_process(tasks.add, (2, 5), polling_url=url, queue="sync")
        assert poll.get_process_result(url) == 7
        assert poll.get_taskid_from_url(url) == task_id
        assert redis_db.ttl(keys.url_key(url)) > 0

    @pytest.mark.parametrize("queue", ["default", "json"])
    def test_unstorable_result_reads_failed(self, url, run_jobs, queue):
        poll.begin_process(tasks.unstorable, polling_url=url, queue=queue)
        run_jobs(queue)
        with pytest.raises(poll.ProcessFailed, match="cannot store"):
            poll.get_process_result(url)

    def test_async_twins(self, url, run_jobs):
        poll.begin_process(tasks.add, (4, 4), polling_url=url)
        run_jobs()

        async def ask():
            return await poll.aprocess_is_complete(url), await poll.aget_process_result(url)

        assert asyncio.run(ask()) == (True, 8)


class TestProgress:
    def test_reported_progress(self, url, run_jobs):
        poll.begin_process(tasks.report, (4,), polling_url=url)
        assert poll.get_process_progress(url) is None
        run_jobs()
        progress = poll.get_process_progress(url)
        assert progress == poll.Progress(4, 4, "step 4 of 4")
        assert progress.percent == 100

    def test_outside_a_job_does_nothing(self):
        assert poll.set_progress(1, 2) is False

    @pytest.fixture
    def job(self, redis_db, monkeypatch):
        """A job that set_progress() takes for the one it runs in."""
        from django_rq_poll import progress

        job = Job.create(tasks.add, (1, 2), connection=redis_db, origin="default")
        job.save()
        monkeypatch.setattr(progress, "get_current_job", lambda: job)
        return job

    def test_inside_a_job_each_report_is_stored_numbered_and_announced(self, job, redis_db):
        listener = redis_db.pubsub(ignore_subscribe_messages=True)
        listener.subscribe(keys.events_channel(job.id))
        assert listener.get_message(timeout=1) is None  # the subscription, confirmed
        assert poll.set_progress(1, 3, "one") is True
        assert poll.set_progress(2, 3, "two") is True
        stored = Job.fetch(job.id, connection=redis_db).meta[meta.META_PROGRESS]
        assert stored == {"current": 2, "total": 3, "message": "two", "seq": 2}
        heard = [listener.get_message(timeout=1) for _ in range(2)]
        assert [(m["channel"], m["data"]) for m in heard if m] == [
            (keys.events_channel(job.id).encode(), b"progress")
        ] * 2
        listener.close()

    @pytest.mark.parametrize(
        ("previous", "seq"),
        [
            (None, 1),
            ({"current": 1, "total": 2, "message": ""}, 1),  # written before there was a seq
            ({"current": 1, "seq": 41}, 42),
            ({"current": 1, "seq": "41"}, 1),
            ({"current": 1, "seq": True}, 1),
            ("not a dict", 1),
        ],
    )
    def test_the_count_starts_at_one_over_whatever_meta_held(self, job, redis_db, previous, seq):
        if previous is not None:
            job.meta[meta.META_PROGRESS] = previous
        poll.set_progress(1)
        assert Job.fetch(job.id, connection=redis_db).meta[meta.META_PROGRESS]["seq"] == seq

    def test_redis_gone_under_a_report_names_where_and_the_queue(self, monkeypatch):
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        from django_rq_poll import progress

        # Nothing listens on port 1; refused at once, not after redis-py's retries.
        gone = redis.Redis(host="127.0.0.1", port=1, db=3, retry=Retry(NoBackoff(), 0))
        job = Job.create(tasks.add, (1, 2), connection=gone, origin="default")
        monkeypatch.setattr(progress, "get_current_job", lambda: job)
        with pytest.raises(
            poll.RedisUnavailable, match=r"127\.0\.0\.1:1 \(db 3, queue 'default'\)"
        ):
            poll.set_progress(1)

    def test_wrong_reports_say_what_they_were(self):
        with pytest.raises(
            ValueError, match=r"^set_progress\(\): message must be a string, not bytes\.$"
        ):
            poll.set_progress(1, 2, b"bytes")
        with pytest.raises(ValueError, match="at most") as caught:
            poll.set_progress(1, 2, "m" * 1001)
        assert str(caught.value) == (
            "set_progress(): message must be at most 1000 characters, not 1001: "
            "report details elsewhere (the job's result, a log)."
        )

    @pytest.mark.parametrize(
        ("args", "word"),
        [((-1,), "current"), (("1",), "current"), ((1, 0), "total"), ((1, 2, 3), "message")],
    )
    def test_bad_progress(self, args, word):
        with pytest.raises(ValueError, match=word):
            poll.set_progress(*args)

    def test_percent(self):
        assert poll.Progress(1, 3).percent == 33
        assert poll.Progress(5).percent is None
        assert poll.Progress(9, 4).percent == 100


class TestForgetAndCancel:
    def test_forget_finished(self, url, redis_db, run_jobs):
        task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
        run_jobs()
        assert poll.forget_process(url)
        assert poll.get_process_status(url) is None
        assert poll.get_process_status(task_id=task_id) is None
        assert not redis_db.exists(f"rq:results:{task_id}")
        assert poll.forget_process(url) is False

    def test_forget_by_id_keeps_a_queued_job(self, url, redis_db):
        task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
        assert poll.forget_process(task_id=task_id)
        assert poll.get_taskid_from_url(url) is None
        assert poll.process_is_pending(task_id=task_id)

    def test_forget_does_not_drop_a_newer_mapping(self, url):
        old = poll.begin_process(tasks.add, (1, 2), polling_url=url)
        new = poll.begin_process(tasks.add, (1, 2), polling_url=url)
        poll.forget_process(task_id=old)
        assert poll.get_taskid_from_url(url) == new

    def test_cancel_queued(self, url, redis_db, run_jobs):
        poll.begin_process(tasks.add, (1, 2), polling_url=url)
        assert poll.cancel_process(url)
        assert poll.get_process_status(url) is State.CANCELED
        assert not poll.process_has_failed(url)
        assert poll.get_process_result(url) is None
        assert redis_db.ttl(keys.url_key(url)) > 0
        assert poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url).started
        assert poll.cancel_process(url + "nothing") is False


class TestRedisDown:
    def test_outage_raises_package_error(self, url, monkeypatch):
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry
        from rq import Queue

        # Nothing listens on port 1: no retries (redis-py 6+ retries a refused connection
        # with backoff, about 4 s per command on 8.x, which only slows the test down).
        dead_client = redis.Redis(port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
        dead = Queue("default", connection=dead_client)
        monkeypatch.setitem(backends._backends, "default", backends.Backend(dead))
        with pytest.raises(poll.RedisUnavailable, match="unreachable") as info:
            poll.process_is_complete(url)
        assert isinstance(info.value.__cause__, redis.ConnectionError)
        with pytest.raises(poll.RedisUnavailable):
            poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
        assert isinstance(info.value, poll.RQPollError)


def _wait(predicate, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)


class TestOtherSerializer:
    def test_forget_and_cancel_json_jobs(self, url, redis_db, run_jobs):
        task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url, queue="json")
        assert poll.cancel_process(task_id=task_id)
        assert redis_db.ttl(keys.url_key(url)) > 0
        again = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url, queue="json")
        run_jobs("json")
        assert poll.get_process_result(url) == 3
        assert poll.forget_process(task_id=again.task_id)
        assert poll.get_taskid_from_url(url) is None


# Found by `make mutate` (docs/testing.rst): what no test checked before.
SYNC_FUNCTIONS = [
    name
    for name in poll.__all__
    if inspect.isfunction(getattr(poll, name))
    and not inspect.iscoroutinefunction(getattr(poll, name))
    and name != "set_progress"
]


class TestEdges:
    """Edges of the lookups and of the jobs' lifetimes."""

    @pytest.mark.parametrize("name", [n for n in SYNC_FUNCTIONS if n != "begin_process"])
    def test_missing_url_and_id_names_the_function(self, name):
        """The ValueError for a call with nothing to look up names the function called."""
        args = (tasks.add,) if name == "check_status_or_begin" else ()
        with pytest.raises(ValueError, match=rf"^{name}\(\) needs a "):
            getattr(poll, name)(*args)

    def test_async_twin_passes_positional_and_keyword_arguments(self, url, run_jobs):
        task_id = asyncio.run(poll.abegin_process(tasks.add, (2, 5), polling_url=url))
        run_jobs()
        assert asyncio.run(poll.aget_process_result(url)) == 7  # positional
        assert asyncio.run(poll.aget_process_result(task_id=task_id)) == 7  # keyword

    def test_snapshot_without_result_carries_meta_but_no_value(self, url, run_jobs):
        poll.begin_process(tasks.add, (2, 2), polling_url=url, meta={"mine": 1})
        run_jobs()
        snap = poll.get_process_snapshot(url)
        assert (snap.state, snap.return_value, snap.meta["mine"]) == (State.COMPLETE, None, 1)
        assert poll.get_process_snapshot(url, result=True).return_value == 4

    def test_a_status_newer_rq_adds_reads_running(self, url, redis_db):
        """State.RUNNING's promise: a status this rq does not know reads as running."""
        task_id = poll.begin_process(tasks.add, (1, 1), polling_url=url)
        redis_db.hset(Job.key_for(task_id), "status", "some-future-status")
        assert poll.get_process_status(url) is State.RUNNING
        assert poll.process_is_running(task_id=task_id)
        assert not poll.check_status_or_begin(tasks.add, (1, 1), polling_url=url).started

    def test_url_from_taskid_is_only_ever_a_string(self, url, redis_db):
        task_id = poll.begin_process(tasks.add, (1, 1), polling_url=url)
        assert poll.get_url_from_taskid(task_id) == url
        job = Job.fetch(task_id, connection=backends.backend().connection)
        job.meta[meta.META_URL] = 42  # written by someone else
        job.save_meta()
        assert poll.get_url_from_taskid(task_id) is None

    @pytest.mark.parametrize(
        ("status", "ttls", "expected"),
        [
            ("finished", (None, None), 500),  # rq's default result_ttl
            ("finished", (60, 7), 60),
            ("failed", (60, None), None),  # RQ_POLL's FAILURE_TTL
            ("failed", (60, 7), 7),
            ("stopped", (60, 9), 9),
        ],
    )
    def test_settle_ttl(self, status, ttls, expected):
        job = Job.create(tasks.add, (1, 1), connection=backends.backend().connection)
        job.result_ttl, job.failure_ttl = ttls
        job.set_status(status, pipeline=None)
        want = conf.FAILURE_TTL if expected is None else expected
        assert writes.settle_ttl(job) == want

    def test_cancel_a_running_job_stops_it(self, url, redis_db, rqworker):
        key = f"never-{url}"
        task_id = poll.begin_process(tasks.wait_for, (key, 60), polling_url=url)
        rqworker()
        deadline = time.monotonic() + 60
        while not poll.process_is_running(url):
            assert time.monotonic() < deadline, "the worker never started the job"
            time.sleep(0.05)
        assert poll.cancel_process(url) is True
        while poll.get_process_status(url) is not State.FAILED:
            assert time.monotonic() < deadline, "the worker never stopped the job"
            time.sleep(0.05)
        assert redis_db.hget(Job.key_for(task_id), "status") == b"stopped"
        assert poll.cancel_process(url) is False  # already stopped: nothing to do


class TestStatusText:
    """What a StatusText says (its text, task_id, state, started) and what forget_process
    and cancel_process do with URLs and ids."""

    def test_started_found_queued_and_found_complete(self, url, redis_db, run_jobs):
        started = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
        assert (started, started.started, started.state) == (BEGUN, True, State.PENDING)
        assert started.task_id == poll.get_taskid_from_url(url)
        queued = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
        assert (queued, queued.started, queued.state) == (RUNNING, False, State.PENDING)
        assert queued.task_id == started.task_id
        run_jobs()
        done = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
        assert (done, done.started, done.state) == (COMPLETE, False, State.COMPLETE)
        assert done.task_id == started.task_id
        assert job_count(redis_db) == 0  # the result is served, nothing runs again

    def test_started_by_id_alone_is_pending(self, redis_db):
        started = poll.check_status_or_begin(tasks.add, (1, 2), task_id="never-seen")
        assert (started, started.started, started.state) == (BEGUN, True, State.PENDING)

    def test_task_kwargs_reach_the_job(self, url, run_jobs):
        poll.check_status_or_begin(tasks.add, (1,), {"y": 4}, polling_url=url)
        run_jobs()
        assert poll.get_process_result(url) == 5

    def test_without_cache_results_every_call_starts_a_job(self, url, redis_db):
        first = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url, cache_results=False)
        again = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url, cache_results=False)
        assert first.started and again.started and first.task_id != again.task_id
        assert first.state is again.state is State.PENDING
        assert not redis_db.exists(keys.url_key(url))  # the jobs stay out of the URL
        assert job_count(redis_db) == 2

    def test_check_status_or_begin_on_a_sync_queue(self, url, redis_db):
        counter = f"runs-{url}"
        first = poll.check_status_or_begin(
            tasks.counted_add, (counter, 2, 5), polling_url=url, queue="sync"
        )
        assert first.started and first == BEGUN
        assert poll.get_process_result(url) == 7
        assert poll.get_taskid_from_url(url) == first.task_id
        assert redis_db.ttl(keys.url_key(url)) > 0  # no mapping without expiry
        again = poll.check_status_or_begin(
            tasks.counted_add, (counter, 2, 5), polling_url=url, queue="sync"
        )
        assert (again.task_id, again.state, again.started) == (
            first.task_id,
            State.COMPLETE,
            False,
        )
        assert int(redis_db.get(counter)) == 1

    def test_forget_a_url_whose_job_vanished(self, url, redis_db):
        """The mapping of an evicted or deleted job is forgotten by its URL."""
        task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
        redis_db.delete(Job.key_for(task_id))
        assert poll.forget_process(url) is True
        assert not redis_db.exists(keys.url_key(url))

    def test_forget_an_id_no_job_has(self, redis_db):
        assert poll.forget_process(task_id="no-such-job") is False

    def test_a_url_in_meta_that_is_not_a_string(self, url, redis_db, run_jobs):
        """Meta written by someone else: forget and cancel by id still answer."""
        connection = backends.backend().connection
        finished = poll.begin_process(tasks.add, (1, 2), polling_url=url)
        run_jobs()
        queued = poll.begin_process(tasks.add, (1, 2), polling_url=url + "queued")
        for task_id in (queued, finished):
            job = Job.fetch(task_id, connection=connection)
            job.meta[meta.META_URL] = 42
            job.save_meta()
        assert poll.cancel_process(task_id=queued) is True
        assert poll.get_process_status(task_id=queued) is State.CANCELED
        assert poll.forget_process(task_id=finished) is True
        assert poll.get_process_status(task_id=finished) is None

    def test_forget_that_loses_a_race_to_another_forget(self, url, run_jobs, monkeypatch):
        """A racer deletes the finished job between this call's read and its delete: no
        error, and only the racer answers that it forgot (the changelog's promise)."""
        task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
        run_jobs()
        fetch = backends.Backend.fetch_job
        racer: list[bool] = []

        def fetch_then_race(self, wanted):
            job = fetch(self, wanted)
            monkeypatch.setattr(backends.Backend, "fetch_job", fetch)
            racer.append(poll.forget_process(task_id=task_id))
            return job

        monkeypatch.setattr(backends.Backend, "fetch_job", fetch_then_race)
        assert poll.forget_process(url) is False
        assert racer == [True]
        assert poll.get_process_status(url) is None


class TestOptionsAndLookups:
    """What the arguments, job options, lookups and callbacks promise: each refusal
    names its function, the options reach the job, the lookups answer by URL and by id."""

    @pytest.mark.parametrize(
        "call",
        [
            lambda: poll.begin_process(tasks.add, (1, 2), polling_url=b"/x"),
            lambda: poll.check_status_or_begin(tasks.add, (1, 2), polling_url=b"/x"),
            lambda: poll.get_process_status(polling_url=b"/x"),
        ],
        ids=["begin_process", "check_status_or_begin", "get_process_status"],
    )
    def test_a_polling_url_that_is_not_a_string_is_refused(self, call, redis_db):
        with pytest.raises(TypeError, match=r"^polling_url must be a string, not bytes\.$"):
            call()
        assert written(redis_db) == []

    def test_bad_arguments_name_their_type(self, url):
        with pytest.raises(TypeError, match=r"^task_args must be a tuple or list, not str\.$"):
            poll.begin_process(tasks.add, "12", polling_url=url)
        with pytest.raises(TypeError, match=r"^task_kwargs must be a dict, not list\.$"):
            poll.begin_process(tasks.add, (1,), [2], polling_url=url)

    def test_unknown_options_are_named_with_the_known_ones(self, url, redis_db):
        known = ", ".join(sorted(JOB_OPTIONS))
        with pytest.raises(TypeError) as info:
            poll.begin_process(tasks.add, (1, 2), polling_url=url, colour="red", size=3)
        assert str(info.value) == f"Unknown job option(s) colour, size; known: queue, {known}."
        with pytest.raises(TypeError, match=r"^queue= takes the name of a queue in RQ_QUEUES\.$"):
            poll.begin_process(tasks.add, (1, 2), polling_url=url, queue=3)
        assert written(redis_db) == []

    def test_a_url_over_the_length_limit_is_refused(self, redis_db, settings):
        settings.RQ_POLL = {**settings.RQ_POLL, "MAX_URL_LENGTH": 20}
        with pytest.raises(ValueError, match="MAX_URL_LENGTH"):
            poll.begin_process(tasks.add, (1, 2), polling_url="/" + "a" * 30)
        assert written(redis_db) == []

    def test_at_front_puts_the_job_before_those_waiting(self, url, redis_db):
        # It raised TypeError (rq's create_job takes no at_front) until 0.3.0.
        first = poll.begin_process(tasks.add, (1, 1), polling_url=url)
        second = poll.begin_process(tasks.add, (2, 2), polling_url=url + "2", at_front=True)
        third = poll.begin_process(tasks.add, (3, 3), at_front=False)
        assert backends.backend().queue.get_job_ids() == [second, first, third]

    def test_failure_ttl_and_ttl_reach_the_job(self, url, redis_db, run_jobs):
        own = poll.begin_process(tasks.fail, polling_url=url + "own", failure_ttl=77)
        default = poll.begin_process(tasks.fail, polling_url=url + "default")
        queued = poll.begin_process(tasks.add, (1, 2), polling_url=url, ttl=50)
        assert 0 < redis_db.ttl(Job.key_for(queued)) <= 50  # the caller's ttl, not QUEUED_TTL
        run_jobs()
        assert 0 < redis_db.ttl(Job.key_for(own)) <= 77
        assert conf.FAILURE_TTL - 10 < redis_db.ttl(Job.key_for(default)) <= conf.FAILURE_TTL

    def test_result_ttl_defaults_to_django_rqs(self, url, redis_db, run_jobs, settings):
        settings.RQ = {"DEFAULT_RESULT_TTL": 321}
        task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
        run_jobs()
        assert 300 < redis_db.ttl(Job.key_for(task_id)) <= 321
        assert 300 < redis_db.ttl(keys.url_key(url)) <= 321

    @pytest.mark.django_db(transaction=True)
    def test_auto_commit_mode_enqueues_at_once(self, url, redis_db, settings):
        settings.RQ = {"COMMIT_MODE": "auto"}
        with transaction.atomic():
            poll.begin_process(tasks.add, (1, 2), polling_url=url)
            assert job_count(redis_db) == 1

    def test_the_task_id_wins_over_the_url(self, url, run_jobs):
        """reference.rst: where a function takes both, the task id wins."""
        poll.begin_process(tasks.add, (1, 2), polling_url=url)
        run_jobs()
        queued = poll.begin_process(tasks.add, (3, 4), polling_url=url + "queued")
        assert poll.get_process_status(url, queued) is State.PENDING
        assert poll.process_is_pending(url, queued)
        assert not poll.process_is_complete(url, queued)
        assert poll.get_process_result(url, queued) is None

    def test_check_status_or_begin_asks_the_task_id_first(self, url, run_jobs):
        """The same rule for check_status_or_begin, sync and async: the job named by the
        id answers; when it is gone or failed, a new one starts, mapped to the URL."""
        done = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url).task_id
        run_jobs()
        queued = poll.begin_process(tasks.add, (3, 4), polling_url=url + "other")
        by_id = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url, task_id=queued)
        assert (by_id.task_id, by_id.state, by_id.started) == (queued, State.PENDING, False)
        native = asyncio.run(
            poll.acheck_status_or_begin(tasks.add, (1, 2), polling_url=url, task_id=queued)
        )
        assert (native.task_id, native.state, native.started) == (queued, State.PENDING, False)
        assert poll.get_taskid_from_url(url) == done  # the URL's own job is left alone
        gone = "f" * 32  # an id no job has: the URL's finished job answers the start
        again = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url, task_id=gone)
        assert (again.task_id, again.started) == (done, False)

    def test_start_unless_active(self, url, run_jobs, settings):
        with pytest.raises(ValueError, match=r"^start_unless_active\(\) needs a polling_url\.$"):
            api.start_unless_active(tasks.add, (1, 2))
        started = api.start_unless_active(tasks.add, (1,), {"y": 4}, url)
        assert started.started
        run_jobs()
        assert poll.get_process_result(url) == 5
        settings.RQ_POLL = {**settings.RQ_POLL, "MAX_ACTIVE_JOBS": 1}
        api.start_unless_active(tasks.add, (1, 2), polling_url=url + "1", visitor="v")
        with pytest.raises(poll.TooManyJobs):
            api.start_unless_active(tasks.add, (1, 2), polling_url=url + "2", visitor="v")

    def test_start_unless_active_keeps_a_job_a_racer_queued_whatever_its_arguments(self, url):
        """A page starts after a lookup that found nothing: a job another request queued
        for the URL in between is answered, never replaced (only replace_queued does)."""
        racer = api.start_unless_active(tasks.add, (1, 2), polling_url=url)
        late = api.start_unless_active(tasks.add, (5, 5), polling_url=url)
        assert (late.task_id, late.started) == (racer.task_id, False)
        assert poll.get_taskid_from_url(url) == racer.task_id

    def test_cancel_gives_the_mapping_the_jobs_lifetime(self, url, redis_db):
        poll.begin_process(tasks.add, (1, 2), polling_url=url, failure_ttl=60, visitor="v")
        assert redis_db.ttl(keys.url_key(url)) > 60  # a visitor's queued job's bound
        assert poll.cancel_process(url)
        assert 0 < redis_db.ttl(keys.url_key(url)) <= 60


def remember_job(job, connection, result, *args, **kwargs):
    connection.set("callback-saw", f"{job.id}:{result}")


def remember_failure(job, connection, exc_type, exc_value, traceback):
    connection.set("failure-saw", f"{job.id}:{exc_type.__name__}:{exc_value}")


def slow_success(job, connection, result):
    time.sleep(3)
    connection.set("slow-callback-finished", 1)


class TestJobEndCallbacks:
    """What callbacks.py promises: the caller's own callbacks run as rq would run them
    (same arguments, same timeout), the end is announced, a result over the limit fails."""

    def test_their_success_callback_gets_the_job_and_result(self, url, redis_db, run_jobs):
        task_id = poll.begin_process(
            tasks.add, (2, 3), polling_url=url, on_success="tests.test_api.remember_job"
        )
        run_jobs()
        assert redis_db.get("callback-saw") == f"{task_id}:5".encode()

    def test_their_failure_callback_gets_the_job_and_the_error(self, url, redis_db, run_jobs):
        task_id = poll.begin_process(
            tasks.fail, ("kaput",), polling_url=url, on_failure="tests.test_api.remember_failure"
        )
        run_jobs()
        assert redis_db.get("failure-saw") == f"{task_id}:RuntimeError:kaput".encode()
        assert poll.process_has_failed(url)
        assert redis_db.ttl(keys.url_key(url)) > 0

    def test_their_callback_keeps_its_timeout(self, url, redis_db, run_jobs):
        """rq stops a callback at its own timeout; wrapped, it still is (rq's default
        callback timeout is 60 s)."""
        from rq import Callback

        poll.begin_process(
            tasks.add,
            (2, 3),
            polling_url=url,
            on_success=Callback("tests.test_api.slow_success", timeout=1),
        )
        run_jobs()
        assert redis_db.get("slow-callback-finished") is None
        assert poll.process_has_failed(url)

    def test_the_end_is_announced_on_the_jobs_channel(self, url, redis_db, run_jobs):
        task_id = poll.begin_process(tasks.add, (2, 3), polling_url=url)
        pubsub = redis_db.pubsub()
        pubsub.subscribe(keys.events_channel(task_id))
        assert pubsub.get_message(timeout=5)["type"] == "subscribe"
        run_jobs()
        seen = []
        while (message := pubsub.get_message(timeout=1)) is not None:
            seen.append(message["data"])
        pubsub.close()
        assert seen == [b"end"]

    def test_a_result_of_exactly_the_limit_is_kept(self, url, run_jobs, settings):
        value = "x" * 500
        size = len(backends.backend().serializer.dumps(value))
        settings.RQ_POLL = {**settings.RQ_POLL, "MAX_RESULT_BYTES": size}
        poll.begin_process(tasks.echo, (value,), polling_url=url)
        run_jobs()
        assert poll.get_process_result(url) == value
        settings.RQ_POLL = {**settings.RQ_POLL, "MAX_RESULT_BYTES": size - 1}
        poll.begin_process(tasks.echo, (value,), polling_url=url + "over")
        run_jobs()
        with pytest.raises(poll.ProcessFailed) as info:
            poll.get_process_result(url + "over")
        assert f"returned a str of {size:,} bytes" in info.value.error
        assert f"({size - 1:,})" in info.value.error


def test_simultaneous_forgets_of_one_finished_job_never_raise(url, run_jobs):
    task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
    run_jobs()
    barrier = threading.Barrier(16)
    answers: list[bool] = []
    errors: list[BaseException] = []

    def forget() -> None:
        barrier.wait()
        try:
            answers.append(poll.forget_process(url, task_id))
        except BaseException as exc:  # the job deleted under a racer's feet
            errors.append(exc)

    threads = [threading.Thread(target=forget) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and any(answers)
    assert poll.get_process_status(url) is None
