"""callbacks.py's on_stopped, which rq calls only in a forked work-horse (a job is stopped
by a worker): called here as rq calls it, in the test's own process, so that what it does
is checked where the mutation run can see it. (tests/test_api.py stops a real job.)"""

from __future__ import annotations

from rq.job import Job, JobStatus

import django_rq_poll as poll
from django_rq_poll import callbacks
from django_rq_poll.core import keys
from tests import tasks


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
