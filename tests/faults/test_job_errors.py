"""Jobs that end badly in the worker: past their timeout, or with a result that cannot
be stored or read back, or one over RQ_POLL['MAX_RESULT_BYTES']. Each reads as failed
with an error text that names the cause."""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import async_to_sync

import django_rq_poll as poll
from django_rq_poll import State
from django_rq_poll.core import keys
from django_rq_poll.web.pages import RETRY_FIELD
from tests import tasks
from tests.faults import tasks as fault_tasks
from tests.faults.web import body, client, problems
from tests.workers import BurstWorker


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


def _unreadable_answers(kw: dict[str, str]) -> dict[str, object]:
    """Every read of the API, sync and async, for one URL or id."""
    answers: dict[str, object] = {
        "status": poll.get_process_status(**kw),
        "has_failed": poll.process_has_failed(**kw),
        "is_complete": poll.process_is_complete(**kw),
        "is_running_or_complete": poll.process_is_running_or_complete(**kw),
        "is_running": poll.process_is_running(**kw),
        "is_pending": poll.process_is_pending(**kw),
        "snapshot": getattr(poll.get_process_snapshot(**kw), "state", None),
        "snapshot+result": getattr(poll.get_process_snapshot(**kw, result=True), "state", None),
        "astatus": async_to_sync(poll.aget_process_status)(**kw),
        "ahas_failed": async_to_sync(poll.aprocess_has_failed)(**kw),
        "ais_complete": async_to_sync(poll.aprocess_is_complete)(**kw),
    }
    try:
        answers["result"] = poll.get_process_result(**kw)
    except poll.ProcessFailed as exc:
        answers["result"] = exc.error
    return answers


UNREADABLE_EXPECTED = {
    "status": State.FAILED,
    "has_failed": True,
    "is_complete": False,
    "is_running_or_complete": False,
    "is_running": False,
    "is_pending": False,
    "snapshot": State.FAILED,
    "snapshot+result": State.FAILED,
    "astatus": State.FAILED,
    "ahas_failed": True,
    "ais_complete": False,
}


@pytest.mark.parametrize("read_result_first", [False, True])
def test_result_this_process_cannot_read(read_result_first, url, redis_db, run_jobs, tally):
    """Stored fine by the worker, but unpickling fails here (say, code deployed unevenly).

    Every function answers "failed", whichever is asked first, and the next
    ``check_status_or_begin`` starts a new job (before the fix the state checks said
    complete, ``check_status_or_begin`` kept the job, and only ``get_process_result``
    saw the failure).
    """
    kind = "unreadable result"
    hold = f"readable-{url}"
    task_id = poll.begin_process(fault_tasks.unloadable_until, (hold,), polling_url=url)
    run_jobs()
    tally.fault(kind)
    if read_result_first:
        with pytest.raises(poll.ProcessFailed):
            poll.get_process_result(url)
    for kw in ({"polling_url": url}, {"task_id": task_id}):
        answers = _unreadable_answers(kw)
        for name, expected in UNREADABLE_EXPECTED.items():
            tally.answer(kind, answers[name] == expected, f"{name} {kw}: {answers[name]!r}")
        error = str(answers["result"])
        ok = "ResultUnreadable" in error and "this value cannot be unpickled" in error
        tally.answer(kind, ok, f"result {kw}: {error!r}")
    snap = poll.get_process_snapshot(url)
    assert snap is not None and snap.error is not None
    assert "cannot be read by this process" in snap.error
    assert "RuntimeError: this value cannot be unpickled" in snap.error
    assert redis_db.ttl(keys.url_key(url)) > 0  # the mapping expires with the job

    redis_db.set(hold, 1)  # the "deployment" is fixed: the next run's result reads back
    again = poll.check_status_or_begin(fault_tasks.unloadable_until, (hold,), polling_url=url)
    tally.answer(kind, again.started and again.task_id != task_id, f"not restarted: {again!r}")
    run_jobs()
    assert poll.get_process_status(url) is State.COMPLETE
    assert poll.process_is_complete(url) and not poll.process_has_failed(url)
    assert poll.get_process_result(url) == "readable now"
    tally.assert_clean(kind)


@pytest.mark.urls("tests.faults.views")
def test_page_of_a_result_this_process_cannot_read(redis_db, run_jobs, settings, tally):
    """The failure page, the status endpoint agrees, and "try again" starts a new job.

    Before the fix the retry POST kept the job (its state read complete), answered
    303, and the same failure page came back until the result expired.
    """
    settings.DEBUG = True  # the page shows the error text
    kind = "page: unreadable result"
    key = f"readable-{uuid.uuid4().hex}"
    page = f"/faults/unreadable/?key={key}"
    browser = client()
    first = browser.get(page)
    assert first.status_code == 202
    old = first.context["task_id"]
    run_jobs()
    tally.fault(kind)
    for _ in range(2):  # the same answer every time, not only the first
        failed = browser.get(page)
        wrong = problems(failed, {500})
        if "ResultUnreadable" not in body(failed):
            wrong.append("no ResultUnreadable text")
        tally.answer(kind, not wrong, f"page: {wrong}")
    state = browser.get(f"/rq-poll/status/{old}/").json()
    tally.answer(kind, (state["state"], state["failed"]) == ("failed", True), f"status: {state}")

    redis_db.set(key, 1)  # fixed: the next run's result reads back here
    retry = browser.post(page, {RETRY_FIELD: "1"})
    assert (retry.status_code, retry["Location"]) == (303, page)
    running = browser.get(page)
    tally.answer(kind, running.status_code == 202, f"after retry: {running.status_code}")
    new = running.context["task_id"] if running.status_code == 202 else old
    tally.answer(kind, new != old, "the retry did not start a new job")
    run_jobs()
    done = browser.get(page)
    tally.answer(kind, done.content == b"read: readable now", f"result page: {body(done)[:80]}")
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


@pytest.mark.parametrize("ours", [512 * 1024, None], ids=["below", "default"])
def test_result_over_redis_bulk_limit_fails_instead_of_looping(
    private_redis, use_redis, tally, settings, ours
):
    """A server whose proto-max-bulk-len is 1 MB, a 2 MB result: the job fails at once
    and the worker goes on to the next job (before: the work-horse retried the write
    tens of thousands of times), whether MAX_RESULT_BYTES is below the server's limit or
    the default 16 MB above it (the smaller of the two applies)."""
    kind = "result over bulk limit"
    if ours is not None:
        settings.RQ_POLL = {**settings.RQ_POLL, "MAX_RESULT_BYTES": ours}
    server = private_redis("--proto-max-bulk-len", "1mb")
    backend = use_redis(server.url)  # after the settings: changing them empties the cache
    big = poll.begin_process(tasks.echo, ("x" * 2_000_000,), polling_url="/big/")
    after = poll.begin_process(tasks.add, (1, 2), polling_url="/after-big/")
    BurstWorker([backend.queue], connection=backend.connection).work(burst=True, max_jobs=2)
    tally.fault(kind)
    said = "MAX_RESULT_BYTES" if ours is not None else "proto-max-bulk-len"
    with pytest.raises(poll.ProcessFailed, match=said) as info:
        poll.get_process_result(task_id=big)
    tally.answer(kind, "ResultTooLarge" in info.value.error, info.value.error[-300:])
    tally.answer(kind, poll.get_process_result(task_id=after) == 3, "the next job did not run")
    tally.assert_clean(kind)
