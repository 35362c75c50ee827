from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync

# RQ_POLL_TEST_WORKER=simple (a mutation run): a test that only needs its tasks run takes
# an in-process burst instead of an rqworker process, so that mutmut sees the code that
# runs in the worker (backends/run.py); process_worker stays a process.
IN_PROCESS = os.environ.get("RQ_POLL_TEST_WORKER") == "simple"


class Side:
    """Django's task API, called the sync way or through its async methods."""

    def __init__(self, name: str) -> None:
        self.name = name
        #: Runs the queued jobs in this process before a wait (``worker``, in-process).
        self.run_jobs: Callable[[], None] | None = None

    def enqueue(self, task: Any, *args: Any, **kwargs: Any) -> Any:
        if self.name == "async":
            return async_to_sync(task.aenqueue)(*args, **kwargs)
        return task.enqueue(*args, **kwargs)

    def get_result(self, task: Any, result_id: str) -> Any:
        if self.name == "async":
            return async_to_sync(task.aget_result)(result_id)
        return task.get_result(result_id)

    def refresh(self, result: Any) -> None:
        if self.name == "async":
            async_to_sync(result.arefresh)()
        else:
            result.refresh()

    def wait(self, result: Any, until: Callable[[Any], bool] | None = None) -> Any:
        """Refresh ``result`` until ``until`` holds (default: it finished); 60 s at most."""
        done = until or (lambda r: r.is_finished)
        if self.run_jobs is not None:
            self.run_jobs()
            self.refresh(result)
        deadline = time.monotonic() + 60
        while not done(result):
            assert time.monotonic() < deadline, (
                f"still {result.status} after 60 s ({_why(result.id)})"
            )
            time.sleep(0.05)
            self.refresh(result)
        return result


@pytest.fixture(params=["sync", "async"])
def tasks_side(request) -> Side:
    return Side(request.param)


@pytest.fixture
def worker(request, rqworker):
    """django-rq's plain ``rqworker`` on the default queue (in-process bursts at each
    ``tasks_side.wait`` when ``RQ_POLL_TEST_WORKER=simple``)."""
    if IN_PROCESS and "tasks_side" in request.fixturenames:
        request.getfixturevalue("tasks_side").run_jobs = request.getfixturevalue("run_jobs")
        return None
    return rqworker("default")


@pytest.fixture
def process_worker(rqworker):
    """``rqworker`` on the default queue, always a process: for a task held running, or
    a work-horse killed."""
    return rqworker("default")


@pytest.fixture
def scheduling_worker(rqworker):
    """The same with rq's scheduler, which ``run_after`` needs."""
    return rqworker("default", "--with-scheduler")


def _why(result_id: str) -> str:
    """What rq says when a wait gives up: the job's status, the workers' states."""
    from rq import Worker

    from django_rq_poll.drivers import backends

    queue = backends.backend().queue
    job = backends.backend().fetch_job(result_id)
    workers = [(w.name, w.state, w.get_current_job_id()) for w in Worker.all(queue=queue)]
    status = job.get_status(refresh=False) if job is not None else "gone"
    return f"job {status}, {queue.count} queued, workers {workers}"
