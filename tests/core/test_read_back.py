"""The read-back cache: a finished job's result is decoded once per process and run.

A state check of a finished job reads the result back the first time (a result this
process cannot unpickle makes the job failed, not complete), then answers from one
script call. The cache is keyed by the job's id and rq's ``ended_at``, and bounded.
"""

from __future__ import annotations

import uuid
from typing import Any

from rq import get_current_job

import django_rq_poll as poll
from django_rq_poll import State
from django_rq_poll.core import snapshot
from django_rq_poll.drivers import backends
from tests import drive, tasks
from tests.faults.tasks import unloadable


def readable_until(key: str) -> Any:
    """A plain result until the test sets ``key``, then one no process can unpickle."""
    job = get_current_job()
    assert job is not None
    return unloadable() if job.connection.get(key) else "readable"


def test_a_later_run_of_the_same_job_is_read_back_again(url, redis_db, run_jobs):
    """rq's ``repeat`` runs one job id again: each run's result is read back, so a later
    one this process cannot read makes the job failed, not complete from the cache."""
    key = f"unreadable-{uuid.uuid4().hex}"
    task_id = poll.begin_process(readable_until, (key,), polling_url=url)
    run_jobs()
    assert drive.state(url, None) is State.COMPLETE  # read back: now in the cache
    assert drive.state(url, None) is State.COMPLETE
    redis_db.set(key, 1)
    home = backends.backend()
    job = home.fetch_job(task_id)
    assert job is not None
    home.queue.enqueue_job(job)  # as rq's repeat enqueues it again
    run_jobs()
    assert drive.state(url, None) is State.FAILED
    assert poll.process_has_failed(url)


def test_jobs_ending_in_the_same_microsecond_are_read_back_each(url, redis_db, run_jobs):
    """The cache tells jobs apart by id as well as by ``ended_at``."""
    key = f"unreadable-{uuid.uuid4().hex}"
    redis_db.set(key, 1)
    readable = poll.begin_process(tasks.echo, (5,), polling_url=url + "&a")
    unreadable = poll.begin_process(readable_until, (key,), polling_url=url + "&b")
    run_jobs()
    assert drive.state(url + "&a", None) is State.COMPLETE
    ended_at = redis_db.hget(f"rq:job:{readable}", "ended_at")
    assert ended_at
    redis_db.hset(f"rq:job:{unreadable}", "ended_at", ended_at)
    assert drive.state(url + "&b", None) is State.FAILED
    assert drive.state(url + "&a", None) is State.COMPLETE


def test_an_unreadable_result_of_a_job_whose_origin_is_not_utf8(url, redis_db, run_jobs):
    """Both oddities at once: failed, with the origin decoded as far as it can be."""
    key = f"unreadable-{uuid.uuid4().hex}"
    redis_db.set(key, 1)
    task_id = poll.begin_process(readable_until, (key,), polling_url=url)
    run_jobs()
    redis_db.hset(f"rq:job:{task_id}", "origin", b"\xffq")
    snap = drive.lookup(url, None, result=True, meta=True)
    assert (snap.state, snap.origin) == (State.FAILED, "\ufffdq")
    assert snap.error.startswith("ResultUnreadable: ")
    assert drive.state(url, None) is State.FAILED


def test_the_cache_never_holds_more_than_its_bound(monkeypatch):
    cache: set[tuple[bytes, bytes]] = set()
    monkeypatch.setattr(snapshot, "_READ_BACK", cache)
    replies = [f"job-{n}\0finished\x000\0e\x001\0v\0\0{n}\x000\0q".encode() for n in range(4097)]
    for reply in replies[:4096]:
        snapshot.remember_read_back(reply)
    assert len(cache) == 4096
    assert all(snapshot.was_read_back(reply) for reply in replies[:4096])
    snapshot.remember_read_back(replies[4096])  # one more: emptied, then kept
    assert cache == {(b"job-4096", b"4096")}
    assert not snapshot.was_read_back(replies[0])


def test_a_status_no_rq_writes_is_failed_with_its_cause_named(url, redis_db):
    """A hash another program wrote (a status rq never writes): failed, with an error
    that names the status and what to do, not as a job that ended normally."""
    task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
    redis_db.hset(f"rq:job:{task_id}", "status", b"\xffq")
    snap = drive.lookup(url, None, result=True)
    assert snap.state is State.FAILED
    assert snap.error == snapshot.UNREADABLE_STATUS.format(status="\ufffdq")
    assert snap.error.startswith("UnreadableJob: the job's hash holds a status no rq writes")
    redis_db.hset(f"rq:job:{task_id}", "status", "stopped")  # one rq writes: named as such
    assert drive.lookup(url, None, result=True).error == "The job ended with status 'stopped'."
