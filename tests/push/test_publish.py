"""The publishing side of push: jobs announce progress and their end on their channel,
and a failed announcement never fails a job."""

from __future__ import annotations

import time

import pytest
import redis

from django_rq_poll import api
from django_rq_poll.core import keys
from django_rq_poll.core.states import State
from django_rq_poll.push import publish
from tests import tasks


def received(pubsub: redis.client.PubSub, timeout: float = 5) -> list[bytes]:
    found = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if message is None and found:
            break
        if message is not None:
            found.append(message["data"])
    return found


@pytest.mark.parametrize(
    ("task", "args", "expected"),
    [
        (tasks.report, (3,), [publish.PROGRESS] * 3 + [publish.END]),
        (tasks.fail, (), [publish.END]),
        (tasks.add, (1, 2), [publish.END]),
    ],
)
def test_a_job_announces_its_progress_and_its_end(redis_db, run_jobs, task, args, expected):
    task_id = api.begin_process(task, args)
    pubsub = redis_db.pubsub()
    pubsub.subscribe(keys.events_channel(task_id))
    run_jobs()
    assert received(pubsub) == expected
    pubsub.close()


def test_a_job_waiting_for_a_retry_does_not_announce_an_end(redis_db, run_jobs):
    from rq import Retry

    task_id = api.begin_process(tasks.fail, retry=Retry(max=1))
    pubsub = redis_db.pubsub()
    pubsub.subscribe(keys.events_channel(task_id))
    run_jobs()  # fails, goes back to the queue, fails again: one end
    assert received(pubsub) == [publish.END]
    pubsub.close()


def test_a_failed_announcement_never_fails_the_job(redis_db, run_jobs, url, monkeypatch, caplog):
    def refuse(self, *args, **kwargs):
        raise redis.ConnectionError("publish refused")

    monkeypatch.setattr(redis.Redis, "publish", refuse)  # the forked work-horse inherits it
    api.begin_process(tasks.report, (2,), polling_url=url)
    run_jobs()
    assert api.get_process_status(url) is State.COMPLETE
    assert api.get_process_result(url) == "done"


def test_announce_logs_instead_of_raising(caplog):
    class Broken:
        def publish(self, *args):
            raise redis.ConnectionError("down")

    publish.announce(Broken(), "abc", publish.END)
    [record] = [r for r in caplog.records if r.name == "django_rq_poll"]
    assert record.levelname == "WARNING"
    assert record.getMessage() == "Could not announce a change of job abc: down"
