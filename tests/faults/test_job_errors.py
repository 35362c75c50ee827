"""Jobs that end badly in the worker: past their timeout, or with a result that cannot
be stored or read back, or one over RQ_POLL['MAX_RESULT_BYTES']. Each reads as failed
with an error text that names the cause."""

from __future__ import annotations

import pytest
from rq import Worker

import django_rq_poll as poll
from django_rq_poll import State, keys
from tests import tasks
from tests.faults import tasks as fault_tasks


def _reads_failed(url: str, match: str, tally, kind: str) -> None:
    tally.answer(kind, poll.process_has_failed(url), "not failed")
    tally.answer(kind, poll.get_process_status(url) is State.FAILED, "status")
    with pytest.raises(poll.ProcessFailed, match=match) as info:
        poll.get_process_result(url)
    tally.answer(kind, bool(info.value.error.strip()), "no error text")


def test_job_past_its_timeout(url, redis_db, run_jobs, tally):
    kind = "job past its timeout"
    task_id = poll.begin_process(tasks.sleep_for, (30,), polling_url=url, timeout=1)
    run_jobs()
    tally.fault(kind)
    _reads_failed(url, "exceeded maximum timeout value \\(1 seconds\\)", tally, kind)
    assert redis_db.ttl(keys.url_key(url)) > 0
    again = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
    assert again.started and again.task_id != task_id
    tally.assert_clean(kind)


@pytest.mark.parametrize("queue", ["default", "json"])
def test_result_the_serializer_cannot_store(queue, url, redis_db, run_jobs, tally):
    kind = "unstorable result"
    poll.begin_process(tasks.unstorable, polling_url=url, queue=queue)
    run_jobs(queue)
    tally.fault(kind)
    _reads_failed(url, "returned a lock that the queue's serializer cannot store", tally, kind)
    assert redis_db.ttl(keys.url_key(url)) > 0
    assert poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url).started
    tally.assert_clean(kind)


def test_result_this_process_cannot_read(url, redis_db, run_jobs, tally):
    """Stored fine by the worker, but unpickling fails here (say, code deployed unevenly)."""
    kind = "unreadable result"
    poll.begin_process(fault_tasks.unloadable, polling_url=url)
    run_jobs()
    tally.fault(kind)
    with pytest.raises(poll.ProcessFailed, match="cannot be read") as info:
        poll.get_process_result(url)
    tally.answer(kind, "this value cannot be unpickled" in info.value.error, info.value.error)
    tally.assert_clean(kind)


@pytest.mark.parametrize("queue", ["default", "json"])
def test_result_over_the_size_limit(queue, url, redis_db, run_jobs, tally, settings):
    """Refused in the worker, as a failure naming the limit; nothing of it is stored."""
    kind = "result over MAX_RESULT_BYTES"
    settings.RQ_POLL = {**settings.RQ_POLL, "MAX_RESULT_BYTES": 1000}
    task_id = poll.begin_process(tasks.echo, ("x" * 5000,), polling_url=url, queue=queue)
    small = poll.begin_process(tasks.echo, ("x" * 500,), polling_url=f"{url}&small", queue=queue)
    run_jobs(queue)
    tally.fault(kind)
    _reads_failed(url, r"over RQ_POLL\['MAX_RESULT_BYTES'\] \(1,000\)", tally, kind)
    stored = b"".join(str(v).encode() for v in redis_db.xrange(f"rq:results:{task_id}"))
    tally.answer(kind, b"xxxxxxxxxx" * 100 not in stored, "the large value was stored")
    tally.answer(kind, poll.get_process_result(task_id=small) == "x" * 500, "small result")
    assert redis_db.ttl(keys.url_key(url)) > 0
    tally.assert_clean(kind)


def test_result_over_redis_bulk_limit_fails_instead_of_looping(
    private_redis, use_redis, tally, settings
):
    """A server whose proto-max-bulk-len is 1 MB, a 2 MB result: the job fails at once
    and the worker goes on to the next job (before: the work-horse retried the write
    tens of thousands of times)."""
    kind = "result over bulk limit"
    settings.RQ_POLL = {**settings.RQ_POLL, "MAX_RESULT_BYTES": 512 * 1024}
    server = private_redis("--proto-max-bulk-len", "1mb")
    backend = use_redis(server.url)  # after the settings: changing them empties the cache
    big = poll.begin_process(tasks.echo, ("x" * 2_000_000,), polling_url="/big/")
    after = poll.begin_process(tasks.add, (1, 2), polling_url="/after-big/")
    Worker([backend.queue], connection=backend.connection).work(burst=True, max_jobs=2)
    tally.fault(kind)
    with pytest.raises(poll.ProcessFailed, match="MAX_RESULT_BYTES") as info:
        poll.get_process_result(task_id=big)
    tally.answer(kind, "ResultTooLarge" in info.value.error, info.value.error[-300:])
    tally.answer(kind, poll.get_process_result(task_id=after) == 3, "the next job did not run")
    tally.assert_clean(kind)
