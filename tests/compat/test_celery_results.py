"""compat.celery_results: Celery's words for a job, and the AsyncResult that delay answers."""

from __future__ import annotations

import threading
import time

import pytest

import django_rq_poll as poll
from django_rq_poll.compat.celery_results import AsyncResult, get_process_status
from tests import tasks


def test_a_job_stopped_on_request_is_revoked(url, redis_db):
    """rq's "stopped" (cancel_process on a running job) is Celery's terminated revoke."""
    task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
    redis_db.hset(f"rq:job:{task_id}", "status", "stopped")
    assert get_process_status(url) == "REVOKED"
    assert poll.get_process_status(url) is poll.State.FAILED  # the main API's word


class TestAsyncResult:
    def test_a_failed_job_is_ready_and_failed_and_get_raises_its_exception(self, run_jobs):
        result = AsyncResult(poll.begin_process(tasks.fail, ("kaput",)))
        assert not result.ready() and not result.failed()
        run_jobs()
        assert (result.status, result.ready(), result.failed(), result.successful()) == (
            "FAILURE",
            True,
            True,
            False,
        )
        with pytest.raises(RuntimeError, match=r"^kaput$"):  # propagate, as Celery
            result.get()
        error = result.get(propagate=False)  # returned instead
        assert type(error) is RuntimeError and str(error) == "kaput"
        assert error.task_id == result.id

    def test_a_canceled_job_is_ready_and_failed(self):
        result = AsyncResult(poll.begin_process(tasks.add, (1, 2)))
        assert poll.cancel_process(task_id=result.id)
        assert (result.status, result.ready(), result.failed(), result.successful()) == (
            "REVOKED",
            True,
            True,
            False,
        )
        error = result.result
        assert isinstance(error, poll.ProcessFailed) and error.task_id == result.id
        assert (error.exc_type, str(error)) == ("TaskRevokedError", "the job was canceled.")
        with pytest.raises(poll.ProcessFailed, match=r"^the job was canceled\.$"):
            result.get(timeout=1)

    def test_a_finished_job_is_got_with_no_timeout(self, run_jobs):
        result = AsyncResult(poll.begin_process(tasks.add, (2, 3)))
        run_jobs()
        assert result.get() == 5 and result.successful() and not result.failed()

    def test_get_waits_for_the_worker(self, run_jobs):
        result = AsyncResult(poll.begin_process(tasks.add, (2, 3)))
        got: list[object] = []
        waiter = threading.Thread(
            target=lambda: got.append(result.get(timeout=20, interval=0.05)), daemon=True
        )
        waiter.start()
        time.sleep(0.3)  # get() has seen the job queued, and polls again
        assert waiter.is_alive() and not got
        run_jobs()
        waiter.join(timeout=10)
        assert got == [5]

    def test_get_gives_up_after_its_timeout(self):
        result = AsyncResult(poll.begin_process(tasks.add, (2, 3)))
        raised: list[BaseException] = []

        def wait() -> None:
            try:
                result.get(timeout=0.2, interval=0.05)
            except BaseException as exc:
                raised.append(exc)

        began = time.monotonic()
        waiter = threading.Thread(target=wait, daemon=True)
        waiter.start()
        waiter.join(timeout=10)  # a get() that never gives up fails here, not in an hour
        assert not waiter.is_alive() and time.monotonic() - began >= 0.2
        assert len(raised) == 1 and type(raised[0]) is TimeoutError
        assert str(raised[0]) == f"Job {result.id} did not finish within 0.2 seconds."
