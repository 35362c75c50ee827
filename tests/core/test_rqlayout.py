"""What the package knows of rq's writes: the server's version rq stamps on each job."""

from __future__ import annotations

import pytest
from rq.queue import Queue

from django_rq_poll.core import rqlayout
from django_rq_poll.drivers import backends


@pytest.mark.parametrize(
    ("version", "stamped"),
    [
        ("7.2.4", (7, 2, 4)),
        ("6.2", (6, 2, 0)),
        ("7.4.1.9", (7, 4, 1)),
        ("8.0-rc1", (8, 0, 0)),
        ("unstable", (0, 0, 0)),
        ("", (0, 0, 0)),
    ],
)
def test_the_servers_version_is_given_to_rq_from_info(redis_db, version, stamped):
    queue = Queue("q", connection=redis_db)
    assert rqlayout.needs_version(queue)
    rqlayout.stamp_version(queue, {"redis_version": version, "other": "1.2.3"})
    assert queue.redis_server_version == stamped
    assert not rqlayout.needs_version(queue)  # read once, even when it says nothing


def test_a_reply_without_a_version_stamps_zeros(redis_db):
    """A server whose INFO names no version: rq compares (0, 0, 0) with the versions
    whose commands it may use, and takes the oldest way."""
    queue = Queue("q", connection=redis_db)
    rqlayout.stamp_version(queue, {"other": "1.2.3"})
    assert queue.redis_server_version == (0, 0, 0)


def test_a_start_reads_the_version_once_as_an_operation(redis_db):
    import django_rq_poll as poll
    from tests import tasks

    home = backends.backend()
    assert rqlayout.needs_version(home.queue)
    poll.begin_process(tasks.add, (1, 2))
    real = tuple(int(p) for p in redis_db.info("server")["redis_version"].split(".")[:3])
    assert home.queue.redis_server_version == real


def test_a_replacement_takes_the_old_jobs_place_or_leaves_rqs_push_as_it_is(redis_db, monkeypatch):
    from django_rq_poll.core.plan import plan
    from tests import tasks

    home = backends.backend()
    rqlayout.stamp_version(home.queue, {"redis_version": "7.0.0"})
    job = plan(home, tasks.add, (1, 2), None, "/x/", True, {}, None).make_job()
    placed = rqlayout.replace_queued_commands(home.queue, job, "old", 3)
    sent = [args for args, _ in placed]
    assert ("LSET", "rq:queue:default", 3, job.id) in sent
    assert not any(a[0] in ("RPUSH", "LPUSH", "LREM") for a in sent)
    assert sent[-1] == ("DEL", "rq:job:old", "rq:job:old:dependents", "rq:job::old:dependencies")
    # an rq that pushed otherwise (at the front): its push is kept, the old job leaves
    front = [(("LPUSH", "rq:queue:default", job.id), {})]
    monkeypatch.setattr(rqlayout, "enqueue_commands", lambda queue, job: list(front))
    sent = [args for args, _ in rqlayout.replace_queued_commands(home.queue, job, "old", 3)]
    assert sent[:2] == [
        ("LPUSH", "rq:queue:default", job.id),
        ("LREM", "rq:queue:default", 1, "old"),
    ]


def test_a_stored_call_is_compared_as_bytes_compressed_or_not(redis_db):
    """rq stores a job's call zlib-compressed, and reads one that is not as it is: both
    compare equal to the same call, and never to another or to a longer one."""
    import zlib

    from tests import tasks

    queue = backends.backend().queue
    job = queue.create_job(tasks.add, args=(1, 2))
    data = job.data
    assert rqlayout.same_call(zlib.compress(data), job) and rqlayout.same_call(data, job)
    other = queue.create_job(tasks.add, args=(1, 3))
    assert not rqlayout.same_call(zlib.compress(other.data), job)
    assert not rqlayout.same_call(other.data, job) and not rqlayout.same_call(None, job)
    assert not rqlayout.same_call(zlib.compress(data + b"x"), job)  # inflated one byte past
