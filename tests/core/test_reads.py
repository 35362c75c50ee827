"""The fast path (one script call) answers exactly what rq's own API answers.

For every job state, ``_lookup(...)`` by URL and by id is compared with
``Job.fetch(...)``: ``get_status()``, ``return_value()``, ``latest_result()``, ``meta``.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from rq.command import send_stop_job_command
from rq.exceptions import NoSuchJobError
from rq.job import Job

import django_rq_poll as poll
from django_rq_poll import State
from django_rq_poll.core import errors, keys, meta, reads, rqlayout, snapshot, writes
from django_rq_poll.core.states import from_rq_status
from django_rq_poll.core.wait import Wait
from django_rq_poll.drivers import backends
from tests import drive, tasks
from tests.drive import lookup as _lookup


def wait_until(predicate, what: str, seconds: float = 30) -> None:
    """Bounded wait for something a worker process does; fails the test if it never happens."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        time.sleep(0.05)


def rq_answer(task_id: str, queue: str | None = None) -> dict:
    backend = backends.backend(queue)
    job = Job.fetch(task_id, connection=backend.connection, serializer=backend.serializer)
    status = job.get_status(refresh=True)
    latest = job.latest_result()
    return {
        "status": str(getattr(status, "value", status)),
        "return_value": job.return_value(refresh=True),
        "exc_string": latest.exc_string if latest is not None else None,
        "meta": job.meta,
    }


def assert_same_as_rq(url: str, task_id: str, queue: str | None = None) -> snapshot.Snapshot:
    """Lookups by URL and by id agree with each other and with rq; returns the snapshot."""
    expected = rq_answer(task_id, queue)
    by_url = drive.lookup(url, None, result=True, meta=True)
    by_id = drive.lookup(None, task_id, result=True, meta=True)
    assert by_url == by_id
    snap = by_url
    assert snap is not None
    assert snap.task_id == task_id
    assert snap.rq_status == expected["status"]
    assert not snap.abandoned
    assert snap.state is from_rq_status(expected["status"])
    assert snap.return_value == expected["return_value"]
    assert snap.meta == expected["meta"]
    if snap.state is State.FAILED:
        assert snap.error == (
            expected["exc_string"] or f"The job ended with status {expected['status']!r}."
        )
    else:
        assert snap.error is None
    # The lighter lookups (no result, no meta) agree on the state.
    light = drive.lookup(url, None)
    assert light is not None
    assert (light.task_id, light.rq_status, light.state) == (task_id, snap.rq_status, snap.state)
    assert poll.get_process_status(url) is snap.state
    # The state-only path of the process_is_* functions agrees too.
    assert drive.state(url, None) is snap.state
    assert drive.state(None, task_id) is snap.state
    assert poll.process_is_complete(url) is (snap.state is State.COMPLETE)
    assert poll.process_has_failed(task_id=task_id) is (snap.state is State.FAILED)
    return snap


def map_url(redis_db, url: str, task_id: str) -> None:
    """Point a URL at a job made with rq directly, as begin_process would."""
    redis_db.set(keys.url_key(url), task_id)


def test_queued(url):
    task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
    assert assert_same_as_rq(url, task_id).state is State.PENDING


@pytest.mark.parametrize("value", [8, None, {"rows": [1, 2]}, "text"])
def test_finished(url, run_jobs, value):
    task_id = poll.begin_process(tasks.echo, (value,), polling_url=url)
    run_jobs()
    snap = assert_same_as_rq(url, task_id)
    assert snap.state is State.COMPLETE
    assert snap.return_value == value


def test_finished_on_a_json_queue(url, run_jobs):
    task_id = poll.begin_process(tasks.echo, ({"a": [1, 2]},), polling_url=url, queue="json")
    run_jobs("json")
    snap = assert_same_as_rq(url, task_id, "json")
    assert snap.return_value == {"a": [1, 2]}


def test_failed(url, run_jobs):
    task_id = poll.begin_process(tasks.fail, ("kaput",), polling_url=url)
    run_jobs()
    snap = assert_same_as_rq(url, task_id)
    assert snap.state is State.FAILED
    assert "RuntimeError: kaput" in (snap.error or "")


def test_canceled(url):
    task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
    assert poll.cancel_process(url)
    assert assert_same_as_rq(url, task_id).state is State.CANCELED


def test_deferred(url, redis_db):
    queue = backends.backend().queue
    parent = queue.enqueue(tasks.add, 1, 2)
    child = queue.enqueue(tasks.add, 3, 4, depends_on=parent)
    map_url(redis_db, url, child.id)
    snap = assert_same_as_rq(url, child.id)
    assert snap.rq_status == "deferred"
    assert snap.state is State.PENDING


def test_scheduled(url, redis_db):
    job = backends.backend().queue.enqueue_in(timedelta(minutes=5), tasks.add, 1, 2)
    map_url(redis_db, url, job.id)
    snap = assert_same_as_rq(url, job.id)
    assert snap.rq_status == "scheduled"
    assert snap.state is State.PENDING


def test_started_and_stopped(url, redis_db, rqworker):
    """A job held running by a real worker, then stopped by rq's stop command."""
    hold = f"hold-{url}"
    task_id = poll.begin_process(tasks.wait_for, (hold, 60), polling_url=url)
    rqworker("default")
    wait_until(lambda: redis_db.get(f"{hold}:started"), "the worker to start the job")
    wait_until(lambda: rq_answer(task_id)["status"] == "started", "rq to mark the job started")
    assert assert_same_as_rq(url, task_id).state is State.RUNNING

    backend = backends.backend()
    send_stop_job_command(backend.connection, task_id, serializer=backend.serializer)
    wait_until(lambda: rq_answer(task_id)["status"] == "stopped", "the job to stop")
    assert assert_same_as_rq(url, task_id).state is State.FAILED


def test_vanished(url, redis_db, run_jobs):
    task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
    run_jobs()
    backend = backends.backend()
    Job.fetch(task_id, connection=backend.connection, serializer=backend.serializer).delete()
    with pytest.raises(NoSuchJobError):
        Job.fetch(task_id, connection=backend.connection)
    assert drive.lookup(None, task_id, result=True, meta=True) is None
    assert drive.lookup(url, None, result=True, meta=True) is None
    assert redis_db.get(keys.url_key(url)) is None  # the dangling mapping healed itself
    assert poll.get_process_status(url) is None
    assert drive.state(url, None) is None
    assert drive.state(None, task_id) is None


def test_an_older_job_ending_leaves_a_newer_mapping_alone(url, redis_db, run_jobs):
    """SETTLE changes the mapping only while it still points at the job that ended.

    An older job with ``result_ttl=0`` (its settle deletes the mapping) ends after
    ``begin_process`` pointed the URL at a newer one: the newer job keeps its mapping.
    """
    older = poll.begin_process(tasks.add, (1, 1), polling_url=url, result_ttl=0)
    newer = poll.begin_process(tasks.add, (2, 2), polling_url=url)
    run_jobs()  # the older job ends first (FIFO), then the newer one
    assert poll.get_taskid_from_url(url) == newer
    assert poll.get_process_result(url) == 4
    backend = backends.backend()
    key = keys.url_key(url)
    for ttl in (0, -1, 60):
        assert backend.run(writes.settle(key, older, ttl)) is False
        assert redis_db.get(key) == newer.encode()
    assert redis_db.ttl(key) > 0  # as the newer job's settle left it: it expires
    assert backend.run(writes.settle(key, newer, 0)) is True
    assert redis_db.get(key) is None


def test_a_connection_lost_while_watching_is_an_outage_not_a_refusal():
    """redis-py reports a connection dropped under WATCH as a WatchError; seen in the
    fault suite as a 503 logged at ERROR ("refused a command") while Redis restarted."""
    from redis.exceptions import WatchError

    from django_rq_poll.exceptions import RedisRefused, RedisUnavailable

    lost = errors.failure(
        WatchError("A ConnectionError occurred on while watching one or more keys"), "here"
    )
    assert isinstance(lost, RedisUnavailable)
    assert not isinstance(lost, RedisRefused)
    # A plain WatchError that reaches the sorter is still no outage.
    assert isinstance(errors.failure(WatchError("Watched variable changed."), "here"), RedisRefused)


def test_keys_follow_a_prefix_changed_at_run_time(url, redis_db, settings):
    """RQ_POLL['PREFIX'] changed by override_settings (a project's tests) takes effect."""
    digest = keys.url_digest(url)
    settings.RQ_POLL = {**settings.RQ_POLL, "PREFIX": "elsewhere"}
    task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
    assert redis_db.get(f"elsewhere:url:{digest}") == task_id.encode()
    assert keys.url_key_bytes(url) == f"elsewhere:url:{digest}".encode()
    assert poll.get_taskid_from_url(url) == task_id
    settings.RQ_POLL = {**settings.RQ_POLL, "PREFIX": "rq_poll"}
    assert keys.url_key_bytes(url) == f"rq_poll:url:{digest}".encode()
    assert poll.get_taskid_from_url(url) is None


class TestDecodedSnapshot:
    """What each snapshot field says, for the paths the state checks above do not read
    (found by the mutation run: origin, meta when not asked, odd meta, odd bytes)."""

    def test_a_finished_jobs_fields(self, url, run_jobs):
        poll.begin_process(tasks.echo, (5,), polling_url=url)
        run_jobs()
        full = drive.lookup(url, None, result=True, meta=True)
        assert (full.origin, full.abandoned, full.rq_status) == ("default", False, "finished")
        assert full.meta[meta.META_URL] == url
        assert drive.lookup(url, None, result=True).meta is None  # meta only when asked
        assert drive.lookup(url, None).meta is None

    def test_a_finished_result_is_read_back_once_per_process(self, url, run_jobs, monkeypatch):
        """The finished page, the hot path, costs one script call once its result has been
        read back here (docs/performance.rst)."""
        task_id = poll.begin_process(tasks.echo, (5,), polling_url=url)
        run_jobs()
        calls = []
        real = reads._lookup_op

        def counted(*args):
            calls.append(args)
            return real(*args)

        monkeypatch.setattr(reads, "_lookup_op", counted)
        assert drive.state(url, None) is State.COMPLETE
        first = len(calls)
        assert drive.state(url, None) is State.COMPLETE
        assert (first, len(calls) - first) == (2, 1)  # read back once, then one call
        assert drive.lookup(None, task_id).state is State.COMPLETE

    def test_an_unreadable_result_is_failed_and_keeps_its_fields(self, url, run_jobs):
        from tests.faults import tasks as fault_tasks

        task_id = poll.begin_process(fault_tasks.unloadable, polling_url=url)
        run_jobs()
        snap = _lookup(url, None, result=True)
        assert (snap.task_id, snap.state, snap.rq_status) == (task_id, State.FAILED, "finished")
        assert (snap.abandoned, snap.origin) == (False, "default")
        assert "cannot be unpickled" in snap.error

    @pytest.mark.parametrize("stored", [[1, 2], "text", 7])
    def test_meta_that_is_not_a_dict_reads_as_empty(self, url, redis_db, stored):
        import pickle

        task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
        redis_db.hset(f"rq:job:{task_id}", "meta", pickle.dumps(stored))
        assert _lookup(url, None, meta=True).meta == {}

    def test_an_origin_that_is_not_utf8_does_not_break_a_lookup(self, url, redis_db):
        task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
        redis_db.hset(f"rq:job:{task_id}", "origin", b"\xffq")
        snap = _lookup(url, None, meta=True)
        assert snap.origin == "\ufffdq" and snap.state is State.PENDING

    def test_meta_this_serializer_cannot_read_reads_as_empty(self, url, redis_db):
        task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
        redis_db.hset(f"rq:job:{task_id}", "meta", b"\x00 not a pickle")
        assert _lookup(url, None, meta=True).meta == {}

    def test_an_id_and_a_status_that_are_not_utf8_do_not_break_a_lookup(self, url, redis_db):
        # a mapping that names no job id names no job: unknown, and the mapping goes
        redis_db.set(keys.url_key(url), b"\xffid")
        assert _lookup(url, None, meta=True) is None
        assert not redis_db.exists(keys.url_key(url))
        # a status no rq writes reads failed, by the lookup and the state check alike
        redis_db.set(keys.url_key(url), b"okid")
        redis_db.hset(b"rq:job:okid", mapping={"status": b"\xffq", "origin": "default"})
        snap = _lookup(url, None, meta=True)
        assert (snap.task_id, snap.rq_status, snap.state) == ("okid", "\ufffdq", State.FAILED)
        assert drive.state(url, None) is snap.state


def test_only_a_queued_job_has_a_place_in_its_own_queue(url, redis_db):
    redis_db.sadd(rqlayout.workers_key("json"), "rq:worker:w1", "rq:worker:w2")
    home = backends.backend()
    first = poll.begin_process(tasks.add, (1, 2), queue="json")
    second = poll.begin_process(tasks.add, (3, 4), queue="json")
    assert home.run(reads.wait(home, second, "json", "queued")) == Wait("json", 2, 2)
    assert home.run(reads.wait(home, first, "json", "queued")) == Wait("json", 1, 2)
    # Taken by a worker between the lookup and this: no place, the workers still counted.
    assert home.run(reads.wait(home, "0" * 32, "json", "queued")) == Wait("json", None, 2)
    assert home.run(reads.wait(home, first, "json", "started")) is None
    assert home.run(reads.wait(home, first, "no-such-queue", "queued")) is None
    default = poll.begin_process(tasks.add, (1, 2), polling_url=url)
    assert home.run(reads.wait(home, default, None, "queued")) == Wait("default", 1, 0)
