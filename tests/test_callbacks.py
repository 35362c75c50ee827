"""callbacks.py's on_stopped, which rq calls only in a forked work-horse (a job is stopped
by a worker): called here as rq calls it, in the test's own process, so that what it does
is checked where the mutation run can see it. (tests/test_api.py stops a real job.)"""

from __future__ import annotations

import threading

import pytest
import redis
from rq.job import Job, JobStatus

import django_rq_poll as poll
from django_rq_poll import callbacks
from django_rq_poll.core import keys
from tests import needs, tasks
from tests.redis_server import start_redis_server


def remember_stopped(job, connection, *args, **kwargs):
    connection.set("stopped-saw", f"{job.id}:{len(args)}:{sorted(kwargs)}")


def test_a_stopped_job_runs_their_callback_settles_its_mapping_and_is_announced(url, redis_db):
    task_id = poll.begin_process(
        tasks.add, (1, 2), polling_url=url, on_stopped="tests.test_callbacks.remember_stopped"
    )
    redis_db.persist(keys.url_key(url))  # as a running job's mapping is
    job = Job.fetch(task_id, connection=redis_db)
    job.set_status(JobStatus.STOPPED)
    pubsub = redis_db.pubsub()
    pubsub.subscribe(keys.events_channel(task_id))
    assert pubsub.get_message(timeout=5)["type"] == "subscribe"
    callbacks.on_stopped(job, redis_db)
    assert redis_db.get("stopped-saw") == f"{task_id}:0:[]".encode()
    assert 0 < redis_db.ttl(keys.url_key(url)) <= job.failure_ttl
    announced = pubsub.get_message(timeout=5)
    assert announced is not None and announced["type"] == "message"
    pubsub.close()


def test_a_stopped_job_without_their_callback_is_still_settled(url, redis_db):
    task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
    redis_db.persist(keys.url_key(url))
    job = Job.fetch(task_id, connection=redis_db)
    job.set_status(JobStatus.STOPPED)
    callbacks.on_stopped(job, redis_db)
    assert redis_db.ttl(keys.url_key(url)) > 0


def test_a_result_the_serializer_cannot_store_is_refused_with_the_advice(redis_db):
    """What the worker records as the job's error (tests/faults/test_job_errors.py runs it
    in a worker): the function, the type, the serializer's reason, and what to do."""
    job = Job.fetch(poll.begin_process(tasks.add, (1, 2)), connection=redis_db)
    with pytest.raises(TypeError) as info:
        callbacks.on_success(job, redis_db, threading.Lock())
    message = str(info.value)
    assert message.startswith(
        "tests.tasks.add returned a lock that the queue's serializer cannot store ("
    )
    assert "lock" in message.split(" store (", 1)[1]  # the serializer's own reason
    assert message.endswith(
        "). Return plain data (for JSON: dicts, lists, strings, numbers) or switch the "
        "queue's SERIALIZER."
    )


def test_a_result_over_the_limit_is_refused_with_its_size_and_the_advice(redis_db, settings):
    settings.RQ_POLL = {**settings.RQ_POLL, "MAX_RESULT_BYTES": 1000}
    job = Job.fetch(poll.begin_process(tasks.add, (1, 2)), connection=redis_db)
    size = len(job.serializer.dumps("x" * 5000))
    with pytest.raises(callbacks.ResultTooLarge) as info:
        callbacks.on_success(job, redis_db, "x" * 5000)
    assert str(info.value) == (
        f"tests.tasks.add returned a str of {size:,} bytes once serialized, over "
        "RQ_POLL['MAX_RESULT_BYTES'] (1,000); it was not stored. Keep large outputs "
        "elsewhere (a file, object storage) and return a reference to them, or raise the "
        "limit."
    )
    callbacks.on_success(job, redis_db, "x" * 500)  # under the limit: taken


def test_a_result_over_what_the_server_can_store_is_refused_naming_the_server(redis_db, settings):
    """A server whose proto-max-bulk-len is 1 MB, a 2 MB result, MAX_RESULT_BYTES at its
    default 16 MB: the smaller limit, the server's, refuses it (in a worker, rq would
    otherwise retry the write for ever: tests/faults/test_job_errors.py)."""
    server = start_redis_server(needs.redis_server_binary(), None, "--proto-max-bulk-len", "1mb")
    small = redis.Redis.from_url(server.url)
    try:
        job = Job.fetch(poll.begin_process(tasks.add, (1, 2)), connection=redis_db)
        limit = 1024 * 1024 * 3 // 4 - 4096  # base64, and the entry's fields
        with pytest.raises(callbacks.ResultTooLarge) as info:
            callbacks.on_success(job, small, "x" * 2_000_000)
        assert f"over what the server's proto-max-bulk-len lets rq store ({limit:,})" in str(
            info.value
        )
        overhead = len(job.serializer.dumps("x" * limit)) - limit
        callbacks.on_success(job, small, "x" * (limit - overhead))  # exactly the limit
        with pytest.raises(callbacks.ResultTooLarge, match=f"\\({limit:,}\\)"):
            callbacks.on_success(job, small, "x" * (limit - overhead + 1))
        # The same limit both ways: the site's setting is the one named.
        settings.RQ_POLL = {**settings.RQ_POLL, "MAX_RESULT_BYTES": limit}
        with pytest.raises(callbacks.ResultTooLarge) as info:
            callbacks.on_success(job, small, "x" * (limit - overhead + 1))
        assert f"over RQ_POLL['MAX_RESULT_BYTES'] ({limit:,})" in str(info.value)
    finally:
        small.close()
        server.stop()
