"""A @task object behind pages: the mixin, the decorator, check_status_or_begin, the
status endpoint and the event stream answer for a task result's id."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

import django_rq_poll as poll
from django_rq_poll.backends import compat
from django_rq_poll.core.tasks import RUNNER, resolve
from django_rq_poll.drivers import backends
from tests.backends import defs
from tests.push.test_stream import streamed_end

pytestmark = pytest.mark.usefixtures("side")


def status_of(client, task_id):
    return client.get(reverse("django_rq_poll:status", kwargs={"job_id": task_id}))


@pytest.mark.parametrize("side", ["sync"], indirect=True)
@pytest.mark.parametrize("page_side", ["sync", "async"])
def test_a_mixin_page_runs_a_task_once_and_shows_its_result(page_side, run_jobs, side):
    from django.test import Client

    client = Client(headers={"X-Test-Side": "async"}) if page_side == "async" else Client()
    first = client.get("/task-sum/?x=3&y=4")
    assert first.status_code == 202
    task_id = first.context["task_id"]
    assert client.get("/task-sum/?x=3&y=4").context["task_id"] == task_id  # one job per URL
    job = backends.backend().fetch_job(task_id)
    assert job.func_name == RUNNER + "tests.backends.defs.add"
    assert status_of(client, task_id).json()["state"] == "pending"
    # The id the page holds is the task result's.
    assert defs.add.get_result(task_id).status == compat.TaskResultStatus.READY
    run_jobs()
    done = client.get("/task-sum/?x=3&y=4")
    assert done.status_code == 200 and done.content.decode() == "<p>Sum: 7</p>\n"
    assert status_of(client, task_id).json()["state"] == "complete"
    result = defs.add.get_result(task_id)
    assert result.status == compat.TaskResultStatus.SUCCESSFUL and result.return_value == 7


@pytest.mark.parametrize("side", ["sync"], indirect=True)
def test_a_decorated_page_gives_a_context_taking_task_its_context(client, run_jobs, side):
    task_id = client.get("/task-whoami/").context["task_id"]
    run_jobs()
    shown = client.get("/task-whoami/").json()
    assert shown["label"] == "page" and shown["id"] == task_id and shown["attempt"] == 1


def test_check_status_or_begin_takes_a_task(url, run_jobs):
    status = poll.check_status_or_begin(defs.add, (2, 2), polling_url=url)
    assert status.started
    assert poll.check_status_or_begin(defs.add, (2, 2), polling_url=url).task_id == status.task_id
    run_jobs()
    assert poll.get_process_result(url) == 4
    assert defs.add.get_result(status.task_id).return_value == 4


def test_progress_inside_a_task_and_the_stream_of_its_result(redis_db, rqworker):
    result = defs.held.enqueue("release-key")
    rqworker("default")
    deadline = time.monotonic() + 30
    while poll.get_process_progress(task_id=result.id) is None:
        assert time.monotonic() < deadline, "no progress reported"
        time.sleep(0.05)
    progress = poll.get_process_progress(task_id=result.id)
    assert (progress.current, progress.total, progress.message) == (1, 2, "holding")
    redis_db.rpush("release-key", "done")
    assert streamed_end(result.id) == "complete"
    assert defs.held.get_result(result.id).return_value == "done"


def test_a_task_that_a_worker_cannot_import_is_refused():
    with pytest.raises(compat.InvalidTask, match="inside another function"):

        @compat.task
        def nested() -> None:
            pass

    with pytest.raises(compat.InvalidTask, match="lambda"):
        compat.task(lambda: None)
    # A Task object the module does not expose under its name (built by hand).
    stray = defs.add.using(priority=1)
    assert resolve(stray) == RUNNER + "tests.backends.defs.add"  # still the module's function


def test_a_page_runs_a_task_on_the_tasks_queue_unless_told_otherwise(url):
    status = poll.check_status_or_begin(defs.add_elsewhere, (1, 2), polling_url=url)
    assert backends.backend().fetch_job(status.task_id).origin == "other"
    told = poll.begin_process(defs.add_elsewhere, (1, 2), queue="default")
    assert backends.backend().fetch_job(told).origin == "default"
