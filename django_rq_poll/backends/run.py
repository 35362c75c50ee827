"""What a worker runs for a task: ``django_rq_poll.backends.run.<the task's module path>``.

rq imports a job's function by its dotted name; for a task job that name is this module
followed by the task's own path (``...run.myapp.tasks.send_mail``), so the plain
``rqworker`` runs it (no special job class) and rq's dashboard lists the job under the
task's name. Looking that name up here (PEP 562's module ``__getattr__``) gives a function
that imports the task, checks that it is one of Django's tasks, and runs it as Django
runs a task: with its ``TaskContext`` when it takes one, through ``Task.call`` (so
coroutine functions run too), its return value made JSON, the class of any exception it
raises recorded for ``TaskResult.errors``, and Django's task signals sent.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable
from typing import Any

from django.utils.module_loading import import_string
from rq import get_current_job
from rq.utils import now

from ..core.taskjobs import META_ATTEMPTS, META_BACKEND, lookup
from ..core.taskjson import as_json
from ..drivers import backends
from . import compat, results

# What a job's meta keeps of its attempts: the latest ones, each traceback's end.
MAX_ATTEMPTS = 20
MAX_TRACEBACK = 20_000


class WorkerLost(Exception):
    """The class path given to a task ended outside its own code: its work-horse killed,
    the job stopped, or its worker dead."""


def __getattr__(name: str) -> Callable[..., Any]:
    if name.startswith("__") or "." not in name:
        raise AttributeError(name)
    return functools.partial(run_task, name)


def run_task(path: str, *args: Any, **kwargs: Any) -> Any:
    """Run the task at ``path`` with ``args`` and ``kwargs`` inside the current rq job."""
    task = import_string(path)
    if not isinstance(task, compat.Task):
        raise TypeError(f"{path} is a {type(task).__name__}, not a task: refusing to run it.")
    job = get_current_job()
    attempt = _begin_attempt(job) if job is not None else None
    started = _current_result(job, task) if job is not None else None
    if started is not None:
        compat.task_started.send(type(task.get_backend()), task_result=started)
    try:
        if task.takes_context:
            if started is None:
                raise RuntimeError(f"{path} takes a context, which only an rq job gives it.")
            value = task.call(compat.TaskContext(task_result=started), *args, **kwargs)
        else:
            value = task.call(*args, **kwargs)
        value = as_json(value, f"The return value of task {path}")
    except Exception as exc:
        if attempt is not None:
            text = "".join(traceback.format_exception(exc))[-MAX_TRACEBACK:]
            attempt["error"] = [compat.module_path(type(exc)), text]
            job.save_meta()  # type: ignore[union-attr]
        _finished(task, started, compat.TaskResultStatus.FAILED, exc=exc)
        raise
    _finished(task, started, compat.TaskResultStatus.SUCCESSFUL, value)
    return value


def _begin_attempt(job: Any) -> dict[str, Any]:
    """Record this attempt in the job's meta (only the job writes its meta once it runs)."""
    attempts = job.meta.get(META_ATTEMPTS)
    if not isinstance(attempts, list):
        attempts = job.meta[META_ATTEMPTS] = []
    del attempts[: -MAX_ATTEMPTS + 1]  # a job retried without end keeps its latest
    attempt = {"worker": job.worker_name or "", "started_at": (job.started_at or now()).isoformat()}
    attempts.append(attempt)
    job.save_meta()
    return attempt


def _current_result(job: Any, task: Any) -> Any:
    """The task's result as it stands now that this worker runs it (one lookup)."""
    home = backends.backend()
    alias = job.meta.get(META_BACKEND) or task.backend
    try:
        return results.from_job(home.run(lookup(home, job.id)), job.id, alias)
    except compat.TaskResultDoesNotExist:  # an is_async=False queue runs it before it is saved
        return None


def _finished(task: Any, result: Any, status: Any, value: Any = None, exc: Any = None) -> None:
    if result is None:
        return
    object.__setattr__(result, "status", status)
    object.__setattr__(result, "finished_at", now())
    object.__setattr__(result, "_return_value", value)
    if exc is not None:
        text = "".join(traceback.format_exception(exc))
        error = compat.TaskError(exception_class_path=compat.module_path(type(exc)), traceback=text)
        result.errors.append(error)
    compat.task_finished.send(type(task.get_backend()), task_result=result)
