"""RQBackend through Django's task API, sync and async, with the plain ``rqworker``."""

from __future__ import annotations

import datetime as dt
import json
import uuid
import zlib

import pytest
from django.utils import timezone
from rq.registry import ScheduledJobRegistry

from django_rq_poll.backends import compat
from django_rq_poll.core.tasks import RUNNER
from django_rq_poll.drivers import backends
from tests.backends import defs

Status = compat.TaskResultStatus


def test_enqueue_returns_a_ready_result_named_by_the_job_id(tasks_side, redis_db):
    before = timezone.now()
    result = tasks_side.enqueue(defs.add, 1, y=2)
    assert result.status == Status.READY
    assert result.task == defs.add
    assert result.backend == "default"
    assert result.args == [1] and result.kwargs == {"y": 2}
    assert before <= result.enqueued_at <= timezone.now()
    assert result.started_at is None and result.finished_at is None
    assert result.last_attempted_at is None
    assert result.errors == [] and result.worker_ids == [] and result.attempts == 0
    job = backends.backend().fetch_job(result.id)
    assert job is not None and job.get_status() == "queued"
    # The dashboard lists the job under the task's own name.
    assert job.func_name == RUNNER + "tests.backends.defs.add"
    read = tasks_side.get_result(defs.add, result.id)
    assert read.status == Status.READY and read.enqueued_at == job.enqueued_at
    assert read.args == [1] and read.kwargs == {"y": 2} and read.backend == "default"


def test_a_successful_task_on_the_plain_rqworker(tasks_side, worker):
    result = tasks_side.wait(tasks_side.enqueue(defs.add, 2, y=3))
    assert result.status == Status.SUCCESSFUL
    assert result.return_value == 5
    assert result.errors == []
    assert len(result.worker_ids) == 1 and result.attempts == 1
    assert result.enqueued_at <= result.started_at <= result.finished_at
    assert result.last_attempted_at == result.started_at
    job = backends.backend().fetch_job(result.id)  # the attempt is rq's run of the job
    assert result.worker_ids == [job.latest_result().worker_name]
    assert result.started_at == job.started_at
    read = tasks_side.get_result(defs.add, result.id)
    assert read.return_value == 5 and read.worker_ids == result.worker_ids


def test_a_failing_task_reports_the_exception_as_django_does(tasks_side, worker):
    result = tasks_side.wait(tasks_side.enqueue(defs.fail, "the polygon is too small"))
    assert result.status == Status.FAILED
    (error,) = result.errors
    assert error.exception_class_path == "builtins.ValueError"
    assert error.exception_class is ValueError
    lines = error.traceback.splitlines()
    assert lines[0] == "Traceback (most recent call last):" and lines[1].startswith("  File ")
    assert lines[-1] == "ValueError: the polygon is too small"
    assert "in fail" in error.traceback  # the task's own frame
    assert result.finished_at is not None and result.attempts == 1
    with pytest.raises(ValueError, match="failed"):
        result.return_value  # noqa: B018


def test_a_task_taking_its_context_sees_its_result_and_attempt(tasks_side, worker):
    result = tasks_side.wait(tasks_side.enqueue(defs.whoami, label="me"))
    assert result.status == Status.SUCCESSFUL
    seen = result.return_value
    assert seen["label"] == "me" and seen["id"] == result.id
    assert seen["attempt"] == 1 and seen["status"] == "RUNNING"
    assert seen["workers"] == result.worker_ids and seen["backend"] == "default"


def test_the_context_names_the_backend_the_task_was_enqueued_on(tasks_side, worker):
    """The worker imports the task as decorated (backend "default"): the job says which."""
    result = tasks_side.wait(tasks_side.enqueue(defs.whoami.using(backend="retrying"), "me"))
    assert result.return_value["backend"] == "retrying"


def test_retries_count_attempts_and_keep_each_error(tasks_side, worker):
    result = tasks_side.wait(tasks_side.enqueue(defs.flaky, 3))
    assert result.status == Status.SUCCESSFUL
    assert result.return_value == 3 and result.attempts == 3
    assert [e.exception_class_path for e in result.errors] == ["builtins.RuntimeError"] * 2
    assert "attempt 1 fails" in result.errors[0].traceback
    assert "attempt 2 fails" in result.errors[1].traceback
    assert result.started_at < result.last_attempted_at  # the first attempt's, the last's


def test_a_job_retried_without_end_keeps_its_latest_attempts(tasks_side, worker):
    from django_rq_poll.backends import run
    from django_rq_poll.core.taskjobs import META_ATTEMPTS

    result = tasks_side.enqueue(defs.add, 1, 2)
    job = backends.backend().fetch_job(result.id)
    earlier = [  # their starts unreadable: the only start known is the run's own
        {"worker": f"w{n}", "started_at": None if n % 2 else "not a date"}
        for n in range(run.MAX_ATTEMPTS + 5)
    ]
    job.meta[META_ATTEMPTS] = earlier
    job.save_meta()
    tasks_side.wait(result)
    assert result.attempts == run.MAX_ATTEMPTS
    assert result.worker_ids[:-1] == [f"w{n}" for n in range(6, run.MAX_ATTEMPTS + 5)]
    assert result.started_at == result.last_attempted_at is not None


def test_an_async_task(tasks_side, worker):
    result = tasks_side.wait(tasks_side.enqueue(defs.async_add, 20, 22))
    assert result.status == Status.SUCCESSFUL and result.return_value == 42


def test_a_running_task(tasks_side, process_worker, redis_db):
    key = f"release:{uuid.uuid4().hex}"
    result = tasks_side.enqueue(defs.held, key)
    tasks_side.wait(result, lambda r: r.status != Status.READY)
    assert result.status == Status.RUNNING
    assert result.started_at is not None and result.last_attempted_at == result.started_at
    assert result.finished_at is None
    assert len(result.worker_ids) == 1 and result.attempts == 1
    with pytest.raises(ValueError, match="not finished"):
        result.return_value  # noqa: B018
    redis_db.rpush(key, "released")
    tasks_side.wait(result)
    assert result.status == Status.SUCCESSFUL and result.return_value == "released"


def test_run_after_defers_through_rqs_scheduler(tasks_side, scheduling_worker):
    when = timezone.now() + dt.timedelta(seconds=2)
    result = tasks_side.enqueue(defs.add.using(run_after=when), 4, 4)
    assert result.status == Status.READY and result.task.run_after == when
    queue = backends.backend().queue
    assert result.id in ScheduledJobRegistry(queue=queue).get_job_ids()
    read = tasks_side.get_result(defs.add, result.id)
    assert read.status == Status.READY
    assert read.task.run_after == when.replace(microsecond=0)
    tasks_side.wait(result)
    assert result.status == Status.SUCCESSFUL and result.return_value == 8
    assert result.started_at >= when.replace(microsecond=0)


def test_run_after_schedules_in_the_tasks_own_queue(tasks_side, redis_db):
    when = timezone.now() + dt.timedelta(hours=1)
    result = tasks_side.enqueue(defs.add.using(queue_name="other", run_after=when), 1, 1)
    other = backends.backend("other").queue
    assert ScheduledJobRegistry(queue=other).get_job_ids() == [result.id]
    assert ScheduledJobRegistry(queue=backends.backend().queue).get_job_ids() == []
    read = tasks_side.get_result(defs.add, result.id)
    assert read.status == Status.READY and read.task.run_after == when.replace(microsecond=0)


def test_priority_above_zero_goes_to_the_front(tasks_side, redis_db):
    first = tasks_side.enqueue(defs.add, 1, 1)
    second = tasks_side.enqueue(defs.urgent, "now")
    third = tasks_side.enqueue(defs.add, 2, 2)  # Django's default priority: at the back
    queue = backends.backend().queue
    assert queue.get_job_ids() == [second.id, first.id, third.id]


def test_a_result_of_another_task_is_a_mismatch(tasks_side):
    result = tasks_side.enqueue(defs.add, 1, 1)
    with pytest.raises(
        compat.TaskResultMismatch if hasattr(compat, "TaskResultMismatch") else Exception,
        match="does not match",
    ):
        tasks_side.get_result(defs.fail, result.id)


@pytest.mark.parametrize("result_id", ["0" * 32, "not/an id", "", "x" * 10_000])
def test_an_unknown_id_does_not_exist(tasks_side, result_id):
    with pytest.raises(compat.TaskResultDoesNotExist):
        tasks_side.get_result(defs.add, result_id)


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("tests.backends.gone.add", "ran the task tests.backends.gone.add, which cannot be "),
        ("tests.tasks.add", "ran tests.tasks.add, which is no longer a task here."),
    ],
)
def test_a_job_whose_task_is_gone_does_not_exist(tasks_side, path, said):
    job = backends.backend().queue.enqueue(RUNNER + path, 1, 2)
    with pytest.raises(compat.TaskResultDoesNotExist) as raised:
        tasks_side.get_result(defs.add, job.id)
    assert str(raised.value).startswith(f"Job {job.id!r} {said}")


def test_an_unknown_id_says_why_there_is_no_result(tasks_side):
    with pytest.raises(compat.TaskResultDoesNotExist) as raised:
        tasks_side.get_result(defs.add, "0" * 32)
    assert str(raised.value) == (
        f"No task result {'0' * 32!r}: no such job in Redis (never enqueued, expired after "
        "its result_ttl or failure_ttl, deleted, or begun in a transaction that has not "
        "committed)."
    )


def test_a_job_that_runs_no_task_does_not_exist(tasks_side):
    from django_rq_poll import begin_process

    task_id = begin_process("tests.tasks.add", (1, 2))
    with pytest.raises(compat.TaskResultDoesNotExist, match="not one of Django's tasks"):
        tasks_side.get_result(defs.add, task_id)


def test_arguments_that_json_cannot_carry_are_named(tasks_side):
    with pytest.raises(TypeError, match="Argument 1 of task add holds a datetime"):
        tasks_side.enqueue(defs.add, 1, timezone.now())
    with pytest.raises(TypeError, match="Argument y= of task add holds a set"):
        tasks_side.enqueue(defs.add, 1, y={1})
    assert backends.backend().queue.count == 0


def test_arguments_come_back_as_json_gives_them(tasks_side, worker):
    result = tasks_side.wait(tasks_side.enqueue(defs.echo, {"a": (1, 2), 3: None}))
    assert result.return_value == {"a": [1, 2], "3": None}


def test_a_return_value_json_cannot_carry_fails_the_task(tasks_side, worker):
    result = tasks_side.wait(tasks_side.enqueue(defs.returns_a_set))
    assert result.status == Status.FAILED
    (error,) = result.errors
    assert error.exception_class_path == "builtins.TypeError"
    assert "The return value of task tests.backends.defs.returns_a_set holds a set" in (
        error.traceback
    )


def test_a_task_on_a_json_queue_is_read_with_that_queues_serializer(tasks_side, redis_db):
    """The job is read with the serializer of the queue it names (its origin), not the
    default queue's pickle: its stored call is JSON."""
    result = tasks_side.enqueue(defs.add.using(queue_name="json"), 2, y=3)
    data = redis_db.hget(f"rq:job:{result.id}", "data")
    assert data is not None and json.loads(zlib.decompress(data))[0].endswith("defs.add")
    read = tasks_side.get_result(defs.add, result.id)
    assert read.status == Status.READY and read.args == [2] and read.kwargs == {"y": 3}


def test_a_task_on_a_json_queue_runs_and_its_result_is_read_back(tasks_side, rqworker):
    rqworker("json", "--serializer", "rq.serializers.JSONSerializer")  # as django-rq needs
    result = tasks_side.wait(tasks_side.enqueue(defs.echo.using(queue_name="json"), {"a": [1]}))
    assert result.status == Status.SUCCESSFUL, result.errors
    assert result.return_value == {"a": [1]}
    assert result.attempts == 1 and len(result.worker_ids) == 1


def test_a_server_that_forgot_the_lookup_script_is_sent_it_again(tasks_side, redis_db):
    result = tasks_side.enqueue(defs.add, 1, 2)
    redis_db.script_flush()  # as a restarted server has none
    assert tasks_side.get_result(defs.add, result.id).args == [1, 2]


def test_on_an_inline_queue_the_task_runs_at_once(tasks_side):
    result = tasks_side.enqueue(defs.add.using(queue_name="sync"), 5, 6)
    read = tasks_side.get_result(defs.add, result.id)
    assert read.status == Status.SUCCESSFUL and read.return_value == 11


def test_signals_are_sent_where_django_sends_them(tasks_side):
    from tests.workers import InProcessWorker

    seen = []

    def record(signal_name):
        def receiver(sender, task_result, **kwargs):
            seen.append((signal_name, sender, str(task_result.status), task_result.id))

        return receiver

    receivers = {name: record(name) for name in ("enqueued", "started", "finished")}
    compat.task_enqueued.connect(receivers["enqueued"])
    compat.task_started.connect(receivers["started"])
    compat.task_finished.connect(receivers["finished"])
    try:
        result = tasks_side.enqueue(defs.add, 1, 2)
        home = backends.backend()
        InProcessWorker([home.queue], connection=home.connection).work(
            burst=True, logging_level="WARNING", with_scheduler=False
        )
    finally:
        compat.task_enqueued.disconnect(receivers["enqueued"])
        compat.task_started.disconnect(receivers["started"])
        compat.task_finished.disconnect(receivers["finished"])
    from django_rq_poll.backends import RQBackend

    assert seen == [
        ("enqueued", RQBackend, "READY", result.id),
        ("started", RQBackend, "RUNNING", result.id),
        ("finished", RQBackend, "SUCCESSFUL", result.id),
    ]


def test_the_finished_signal_carries_the_outcome(tasks_side):
    from tests.workers import InProcessWorker

    seen = {}

    def receiver(sender, task_result, **kwargs):
        seen[task_result.id] = task_result

    compat.task_finished.connect(receiver)
    try:
        done = tasks_side.enqueue(defs.add, 1, 2)
        failed = tasks_side.enqueue(defs.fail, "no stand")
        home = backends.backend()
        InProcessWorker([home.queue], connection=home.connection).work(
            burst=True, logging_level="WARNING", with_scheduler=False
        )
    finally:
        compat.task_finished.disconnect(receiver)
    ok, bad = seen[done.id], seen[failed.id]
    assert (ok.status, ok.return_value, ok.errors) == (Status.SUCCESSFUL, 3, [])
    assert ok.started_at <= ok.finished_at and bad.started_at <= bad.finished_at
    assert bad.status == Status.FAILED
    (error,) = bad.errors
    assert error.exception_class_path == "builtins.ValueError"
    lines = error.traceback.splitlines()
    assert lines[0] == "Traceback (most recent call last):" and lines[1].startswith("  File ")
    assert lines[-1] == "ValueError: no stand"


def test_a_canceled_task_reads_failed(tasks_side):
    from django_rq_poll import cancel_process

    result = tasks_side.enqueue(defs.add, 1, 2)
    assert cancel_process(task_id=result.id)
    tasks_side.refresh(result)
    assert result.status == Status.FAILED and result.errors == []


@pytest.mark.django_db(transaction=True)
def test_enqueued_inside_a_transaction_it_waits_for_the_commit(tasks_side, monkeypatch):
    from django.db import transaction

    from django_rq_poll.backends import results

    monkeypatch.delattr(results._waiting, "results", raising=False)  # none waited here yet

    with transaction.atomic():
        result = defs.add.enqueue(1, 2)
        assert result.status == Status.READY and result.enqueued_at is None
        assert backends.backend().fetch_job(result.id) is None
        # This thread reads it as ready, as every lookup here answers "pending" for it.
        read = defs.add.get_result(result.id)
        assert read.status == Status.READY and read.args == [1, 2] and read is not result
        second = defs.add.enqueue(3, 4)
        for waiting in (result, second):  # each one begun in the transaction
            assert defs.add.get_result(waiting.id).status == Status.READY
    assert tasks_side.get_result(defs.add, result.id).status == Status.READY
    assert backends.backend().fetch_job(result.id) is not None
    with transaction.atomic():
        dropped = defs.add.enqueue(1, 2)
        transaction.set_rollback(True)
    with pytest.raises(compat.TaskResultDoesNotExist):
        tasks_side.get_result(defs.add, dropped.id)


def test_a_killed_work_horse_fails_the_task_with_rqs_words(tasks_side, process_worker, redis_db):
    import os
    import signal

    key = f"release:{uuid.uuid4().hex}"
    result = tasks_side.enqueue(defs.held, key)
    tasks_side.wait(result, lambda r: r.status == Status.RUNNING and redis_db.get(f"{key}:pid"))
    os.kill(int(redis_db.get(f"{key}:pid")), signal.SIGKILL)
    tasks_side.wait(result)
    assert result.status == Status.FAILED and result.attempts == 1
    (error,) = result.errors
    assert error.exception_class_path == "django_rq_poll.backends.run.WorkerLost"
    assert error.exception_class.__name__ == "WorkerLost"
    assert "Work-horse terminated unexpectedly" in error.traceback


def test_a_task_its_worker_cannot_import_fails_with_that_error(tasks_side, monkeypatch):
    """The worker's code lacks the task (a deploy half done): it fails before it runs."""
    from django_rq_poll.backends import run
    from tests.workers import InProcessWorker

    def missing(path):
        raise ModuleNotFoundError(f"No module named {path.rsplit('.', 1)[0]!r}")

    result = tasks_side.enqueue(defs.add, 1, 2)
    monkeypatch.setattr(run, "import_string", missing)
    home = backends.backend()
    InProcessWorker([home.queue], connection=home.connection).work(
        burst=True, logging_level="WARNING", with_scheduler=False
    )
    tasks_side.refresh(result)
    assert result.status == Status.FAILED and len(result.worker_ids) == 1
    (error,) = result.errors
    assert error.exception_class_path == "builtins.ModuleNotFoundError"
    assert error.traceback.startswith("Traceback (most recent call last):\n")
    assert "No module named 'tests.backends.defs'" in error.traceback


def test_attempts_another_programs_meta_does_not_list_are_read_from_rq(tasks_side, worker):
    from django_rq_poll.core.taskjobs import META_ATTEMPTS

    result = tasks_side.wait(tasks_side.enqueue(defs.add, 1, 2))
    job = backends.backend().fetch_job(result.id)
    run = job.latest_result()
    for written in ("not a list", []):
        job.meta[META_ATTEMPTS] = written
        job.save_meta()
        read = tasks_side.get_result(defs.add, result.id)
        assert read.worker_ids == [run.worker_name] and read.attempts == 1
        assert read.started_at == run.execution_started_at
    job.meta[META_ATTEMPTS] = [{"started_at": "not a date"}]  # no worker named
    job.save_meta()
    read = tasks_side.get_result(defs.add, result.id)
    assert read.worker_ids == [""] and read.started_at == job.started_at


def test_a_job_a_worker_holds_before_any_attempt_is_recorded_is_running(tasks_side, redis_db):
    from rq.utils import utcformat

    result = tasks_side.enqueue(defs.add, 1, 2)
    redis_db.lpop("rq:queue:default")
    started = timezone.now().replace(microsecond=0)
    redis_db.hset(
        f"rq:job:{result.id}",
        mapping={"status": "started", "worker_name": "w1", "started_at": utcformat(started)},
    )
    read = tasks_side.get_result(defs.add, result.id)
    assert read.status == Status.RUNNING and read.worker_ids == ["w1"]
    assert read.started_at == started and read.errors == []


def test_a_job_whose_worker_died_without_a_word_failed_with_a_lost_worker(tasks_side, redis_db):
    """No result at all, only the expired heartbeat: the worker is said to be lost."""
    import time

    from django_rq_poll.backends import results

    result = tasks_side.enqueue(defs.add, 1, 2)
    redis_db.lpop("rq:queue:default")
    redis_db.hset(f"rq:job:{result.id}", "status", "started")
    redis_db.zadd(f"rq:executions:{result.id}", {"e1": time.time() + 100})
    redis_db.zadd("rq:wip:default", {f"{result.id}:e1": time.time() - 1})
    read = tasks_side.get_result(defs.add, result.id)
    assert read.status == Status.FAILED
    (error,) = read.errors
    assert error.exception_class_path == results.WORKER_LOST
    assert error.traceback == (
        "WorkerLost: the worker running this task stopped sending heartbeats "
        "(it was killed or lost its connection to Redis)."
    )


TRACEBACK = 'Traceback (most recent call last):\n  File "t.py", line 1, in f\n    g()\n'


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (TRACEBACK + "ValueError: bad input\n", "builtins.ValueError"),
        (TRACEBACK + "KeyError\n", "builtins.KeyError"),  # no message
        (TRACEBACK + "E\n", "builtins.E"),  # a one-letter name
        (TRACEBACK + "seak.marxan.MarxanError: no solution\n", "seak.marxan.MarxanError"),
        (
            TRACEBACK + "KeyError: 'a'\n\nDuring handling of the above exception, another "
            "exception occurred:\n\n" + TRACEBACK + "app.Err: b\n",
            "app.Err",
        ),  # chained: the last one raised
        (TRACEBACK + "  odd ending, indented\n", "builtins.Exception"),
        (TRACEBACK, "builtins.Exception"),  # the header line is no class
        ("", "builtins.Exception"),
    ],
)
def test_the_class_of_a_failure_is_read_from_its_traceback(text, path):
    from django_rq_poll.backends import results

    assert results._class_in(text) == path


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "queued", "origin": "default", "data": b"\x00not what rq writes"},
        {"status": "\xff\xfe", "origin": "default", "data": b""},
        {"status": "queued", "origin": "default", "created_at": "yesterday", "data": b"x"},
    ],
)
def test_a_job_hash_no_rq_wrote_does_not_exist(tasks_side, redis_db, fields):
    redis_db.hset("rq:job:foreign", mapping=fields)
    with pytest.raises(compat.TaskResultDoesNotExist, match="foreign") as raised:
        tasks_side.get_result(defs.add, "foreign")
    if fields["data"].startswith(b"\x00"):  # rq's own error names what failed
        assert "cannot be read here (DeserializationError: " in str(raised.value)


def test_results_no_rq_wrote_do_not_exist(tasks_side, redis_db):
    result = tasks_side.enqueue(defs.add, 1, 2)
    redis_db.xadd(f"rq:results:{result.id}", {"type": "not a number"})
    with pytest.raises(compat.TaskResultDoesNotExist) as raised:
        tasks_side.get_result(defs.add, result.id)
    # The message names the job and what could not be read in it, for whoever debugs it.
    assert str(raised.value) == (
        f"Job {result.id!r} cannot be read here "
        "(ValueError: invalid literal for int() with base 10: b'not a number')."
    )


def test_options_reach_every_job_of_the_backend(tasks_side, settings):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_rq_poll.backends.RQBackend",
            "OPTIONS": {"timeout": 33, "result_ttl": 77, "failure_ttl": 88, "ttl": 99},
        }
    }
    job = backends.backend().fetch_job(tasks_side.enqueue(defs.add, 1, 2).id)
    assert (job.timeout, job.result_ttl, job.failure_ttl, job.ttl) == (33, 77, 88, 99)


def test_aenqueue_and_aget_result_use_no_thread(monkeypatch):
    from asgiref.sync import async_to_sync

    from django_rq_poll.drivers import aio

    def no_thread(*args, **kwargs):
        raise AssertionError("a thread was used")

    from django_rq_poll.backends import RQBackend

    monkeypatch.setattr(aio, "sync_to_async", no_thread)  # the driver's Blocking ops
    monkeypatch.setattr(RQBackend, "enqueue", no_thread)  # what Django's default would wrap
    monkeypatch.setattr(RQBackend, "get_result", no_thread)

    async def both():
        result = await defs.add.aenqueue(1, 2)
        return await defs.add.aget_result(result.id)

    assert async_to_sync(both)().status == Status.READY
