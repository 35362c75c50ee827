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
