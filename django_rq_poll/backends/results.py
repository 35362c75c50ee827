"""Django's ``TaskResult`` made from what one lookup saw of a task's job.

Attempts come from the job's own record (:data:`~django_rq_poll.core.taskjobs.META_ATTEMPTS`,
written by the worker as each attempt starts and when it raises): rq writes no result for
an attempt it retries. A failure no attempt recorded (the work-horse killed, the job
stopped, a worker that died) is read from rq's result, or said to be a lost worker.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from datetime import datetime
from typing import Any

from django.utils.module_loading import import_string
from rq.job import Job
from rq.results import Result

from ..core import pending
from ..core.states import State
from ..core.taskjobs import META_ATTEMPTS, TaskJob, task_path
from . import compat

_STATUS = {
    State.PENDING: compat.TaskResultStatus.READY,
    State.RUNNING: compat.TaskResultStatus.RUNNING,
    State.COMPLETE: compat.TaskResultStatus.SUCCESSFUL,
    State.FAILED: compat.TaskResultStatus.FAILED,
    State.CANCELED: compat.TaskResultStatus.FAILED,
}
_FAILED = (Result.Type.FAILED, Result.Type.STOPPED)
# The last line of a Python traceback: "package.module.ErrorClass: message".
_HEADER = re.compile(r"^([A-Za-z_][\w.]*)(?::|$)")
#: The class path given to a failure whose traceback names no class.
UNKNOWN_ERROR = "builtins.Exception"
#: The class path given to a task ended outside its code: its work-horse killed, the job
#: stopped, or its worker dead (the traceback is rq's words, or ours).
WORKER_LOST = "django_rq_poll.backends.run.WorkerLost"
_LOST_TEXT = (
    "WorkerLost: the worker running this task stopped sending heartbeats "
    "(it was killed or lost its connection to Redis)."
)


def enqueued(task: Any, job: Job, args: list[Any], kwargs: dict[str, Any], alias: str) -> Any:
    """The result ``enqueue`` returns: ready, enqueued now (or, begun inside a
    transaction django-rq waits for, when it commits: ``enqueued_at`` is ``None``)."""
    return compat.TaskResult(
        task=task,
        id=str(job.id),
        status=compat.TaskResultStatus.READY,
        enqueued_at=job.enqueued_at or (job.created_at if task.run_after else None),
        started_at=None,
        finished_at=None,
        last_attempted_at=None,
        args=args,
        kwargs=kwargs,
        backend=alias,
        errors=[],
        worker_ids=[],
    )


def from_job(found: TaskJob | None, result_id: str, alias: str) -> Any:
    """The task result of a job seen by :func:`~django_rq_poll.core.taskjobs.lookup`,
    or ``TaskResultDoesNotExist`` saying why there is none."""
    if found is None:
        raise compat.TaskResultDoesNotExist(
            f"No task result {result_id!r}: no such job in Redis (never enqueued, expired "
            "after its result_ttl or failure_ttl, deleted, or begun in a transaction that "
            "has not committed)."
        )
    job = found.job
    task = _task_of(job, result_id)
    if found.run_at is not None and task.run_after is None:
        task = task.using(run_after=found.run_at)
    attempts = _attempts(found)
    starts = [a.started_at for a in attempts if a.started_at is not None]
    result: Any = compat.TaskResult(
        task=task,
        id=result_id,
        status=_STATUS[found.state],
        enqueued_at=job.enqueued_at or job.created_at,
        started_at=starts[0] if starts else job.started_at,
        finished_at=job.ended_at if found.state.done else None,
        last_attempted_at=starts[-1] if starts else job.started_at,
        args=list(job.args),
        kwargs=dict(job.kwargs),
        backend=alias,
        errors=_errors(found, attempts),
        worker_ids=[a.worker for a in attempts],
    )
    if found.state is State.COMPLETE:
        successes = [r for r in found.results if r.type == Result.Type.SUCCESSFUL]
        value = successes[-1].return_value if successes else None
        object.__setattr__(result, "_return_value", value)
    return result


class _Attempt:
    __slots__ = ("error", "started_at", "worker")

    def __init__(self, worker: str, started_at: datetime | None, error: Any = None) -> None:
        self.worker = worker
        self.started_at = started_at
        self.error = error


def _attempts(found: TaskJob) -> list[_Attempt]:
    recorded = found.job.meta.get(META_ATTEMPTS)
    if isinstance(recorded, list) and recorded:
        return [_recorded(entry) for entry in recorded if isinstance(entry, dict)]
    # None recorded (the task could not even be imported): rq's results, and the worker
    # that holds the job now.
    attempts = [
        _Attempt(r.worker_name, r.execution_started_at) for r in found.results if r.worker_name
    ]
    if found.state is State.RUNNING and found.job.worker_name:
        attempts.append(_Attempt(found.job.worker_name, found.job.started_at))
    return attempts


def _recorded(entry: dict[str, Any]) -> _Attempt:
    started = entry.get("started_at")
    try:
        when = datetime.fromisoformat(started) if isinstance(started, str) else None
    except ValueError:
        when = None
    error = entry.get("error")
    if isinstance(error, list) and len(error) == 2 and all(isinstance(e, str) for e in error):
        error = compat.TaskError(exception_class_path=error[0], traceback=error[1])
    else:
        error = None
    return _Attempt(str(entry.get("worker") or ""), when, error)


def _errors(found: TaskJob, attempts: list[_Attempt]) -> list[Any]:
    errors = [a.error for a in attempts if a.error is not None]
    last_raised = bool(attempts) and attempts[-1].error is not None
    if found.state is State.FAILED and not last_raised:
        # It failed without its task raising: killed, stopped, timed out before the
        # task ran, or its worker died (then no result at all).
        failures = [r for r in found.results if r.type in _FAILED]
        text = (failures[-1].exc_string or "") if failures else ""
        if text.startswith("Traceback"):  # raised before the task ran (its import)
            errors.append(compat.TaskError(exception_class_path=_class_in(text), traceback=text))
        else:  # rq's own words: the work-horse was killed, or the job stopped
            error = compat.TaskError(exception_class_path=WORKER_LOST, traceback=text or _LOST_TEXT)
            errors.append(error)
    return errors


def _task_of(job: Job, result_id: str) -> Any:
    try:
        func_name = job.func_name
    except Exception as exc:  # data no rq wrote, or another serializer's
        raise compat.TaskResultDoesNotExist(
            f"Job {result_id!r} cannot be read here ({type(exc).__name__}: {exc})."
        ) from exc
    path = task_path(func_name)
    if path is None:
        raise compat.TaskResultDoesNotExist(
            f"Job {result_id!r} runs {func_name}, not one of Django's tasks."
        )
    try:
        task = import_string(path)
    except ImportError as exc:
        raise compat.TaskResultDoesNotExist(
            f"Job {result_id!r} ran the task {path}, which cannot be imported here: {exc}"
        ) from exc
    if not isinstance(task, compat.Task):
        raise compat.TaskResultDoesNotExist(
            f"Job {result_id!r} ran {path}, which is no longer a task here."
        )
    return task


def _class_in(text: str) -> str:
    """The exception class a traceback ends with (rq's text of a failure)."""
    lines = [line for line in text.strip().splitlines() if line and not line[0].isspace()]
    found = _HEADER.match(lines[-1]) if lines else None
    if found is None:
        return UNKNOWN_ERROR
    name = found.group(1)
    return name if "." in name else f"builtins.{name}"


# Results of tasks begun inside a transaction django-rq waits for, by id, in the thread
# that began them: until the commit, that thread reads them as READY, as every lookup of
# this app answers "pending" there for a job begun in its open transaction.
_waiting = threading.local()


def remember_waiting(result: Any) -> None:
    """Keep ``result`` while its job waits for this thread's transaction to commit."""
    kept: dict[str, Any] = getattr(_waiting, "results", None) or {}
    # Those committed or rolled back since are dropped (core.pending knows which).
    kept = {k: v for k, v in kept.items() if pending.find(None, k) is not None}
    if pending.find(None, result.id) is not None:
        kept[result.id] = result
    _waiting.results = kept


def waiting(result_id: str) -> Any:
    """A copy of the result of a task this thread began in its open transaction, or
    ``None``."""
    kept = getattr(_waiting, "results", None)
    if not kept or result_id not in kept:
        return None
    if pending.find(None, result_id) is None:
        del kept[result_id]
        return None
    return dataclasses.replace(kept[result_id])
