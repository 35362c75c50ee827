"""A backend for Django's tasks on RQ: ``TASKS = {"default": {"BACKEND":
"django_rq_poll.backends.RQBackend", "QUEUES": ["default"]}}``.

Tasks run on the plain ``manage.py rqworker`` (``--with-scheduler`` for ``run_after``);
a task result's id is its rq job's id, so every polling function, page, status endpoint
and event stream of this package answers for it. Starting and reading go through the
package's one core and its two drivers: ``aenqueue`` and ``aget_result`` are native
``redis.asyncio`` calls, not threads.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from rq.job import Retry

from ..core import taskjobs, taskjson, tasks
from ..drivers.twins import awaited, blocking
from ..exceptions import ImproperlyConfigured
from . import compat, results

__all__ = ["RQBackend"]

# OPTIONS this backend takes: rq's job options, the same for every task it enqueues.
OPTIONS = {
    "timeout": "seconds a task may run before rq kills it",
    "result_ttl": "seconds a successful task's result is kept",
    "failure_ttl": "seconds a failed task's result is kept",
    "ttl": "seconds a task may wait in the queue before rq drops it",
    "retry": "how many times rq runs a failing task again",
}


class RQBackend(compat.BaseTaskBackend):
    """Django's task backend on RQ, through django-rq's ``RQ_QUEUES``."""

    #: ``run_after`` schedules the job in rq's scheduled registry.
    supports_defer = True
    #: Coroutine functions run in the worker through ``Task.call``.
    supports_async_task = True
    supports_get_result = True
    #: Two levels, as far as rq goes: a priority above 0 enqueues at the queue's front.
    supports_priority = True

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        self.job_options = job_options(alias, self.options)

    def validate_task(self, task: Any) -> None:
        """Refuse, when decorated, a function no worker can import by name (a lambda, one
        defined inside another function or in ``__main__``), as enqueueing would."""
        try:
            tasks.refuse_unnamed(task.func, "be a task")
        except TypeError as exc:
            raise compat.InvalidTask(str(exc)) from None
        super().validate_task(task)

    # -- starting ----------------------------------------------------------------
    def _starting(self, task: Any, args: Any, kwargs: Any) -> tuple[Any, list[Any], Any]:
        self.validate_task(task)
        try:
            tasks.resolve_django_task(task)
        except TypeError as exc:
            raise compat.InvalidTask(str(exc)) from exc
        json_args, json_kwargs = taskjson.json_arguments(task.name, args, kwargs)
        options = {
            **self.job_options,
            "queue": task.queue_name,
            "at_front": task.priority > compat.DEFAULT_TASK_PRIORITY,
            "meta": {taskjobs.META_BACKEND: self.alias},
            "run_at": task.run_after,
        }

        def make(home: Any) -> Any:
            return taskjobs.start(home, task.module_path, json_args, json_kwargs, **options)

        return make, json_args, json_kwargs

    def enqueue(self, task: Any, args: Any, kwargs: Any) -> Any:
        make, json_args, json_kwargs = self._starting(task, args, kwargs)
        return self._enqueued(task, blocking(make), json_args, json_kwargs)

    async def aenqueue(self, task: Any, args: Any, kwargs: Any) -> Any:
        make, json_args, json_kwargs = self._starting(task, args, kwargs)
        return self._enqueued(task, await awaited(make), json_args, json_kwargs)

    def _enqueued(self, task: Any, job: Any, args: list[Any], kwargs: Any) -> Any:
        result = results.enqueued(task, job, args, kwargs, self.alias)
        if result.enqueued_at is None:  # enqueued when this thread's transaction commits
            results.remember_waiting(result)
        compat.task_enqueued.send(type(self), task_result=result)
        return result

    # -- reading -----------------------------------------------------------------
    def get_result(self, result_id: str) -> Any:
        waiting = results.waiting(result_id)
        if waiting is not None:
            return waiting
        with _unreadable_is_unknown():
            found = blocking(lambda home: taskjobs.lookup(home, result_id))
        return results.from_job(found, result_id, self.alias)

    async def aget_result(self, result_id: str) -> Any:
        waiting = results.waiting(result_id)
        if waiting is not None:
            return waiting
        with _unreadable_is_unknown():
            found = await awaited(lambda home: taskjobs.lookup(home, result_id))
        return results.from_job(found, result_id, self.alias)


@contextlib.contextmanager
def _unreadable_is_unknown() -> Iterator[None]:
    try:
        yield
    except taskjobs.UnreadableJob as exc:
        raise compat.TaskResultDoesNotExist(str(exc)) from exc


def job_options(alias: str, options: dict[str, Any]) -> dict[str, Any]:
    """The rq job options of ``OPTIONS``, checked (``ImproperlyConfigured`` naming the
    backend and the option)."""
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ImproperlyConfigured(
            f"TASKS[{alias!r}]['OPTIONS'] has unknown option(s) {', '.join(unknown)}; "
            f"RQBackend takes {', '.join(OPTIONS)}."
        )
    found = dict(options)
    for name, value in options.items():
        if not isinstance(value, int) or isinstance(value, bool):
            raise ImproperlyConfigured(
                f"TASKS[{alias!r}]['OPTIONS'][{name!r}] must be a whole number "
                f"({OPTIONS[name]}), not {value!r}."
            )
    if "retry" in found:
        retries = found.pop("retry")
        if retries > 0:
            found["retry"] = Retry(max=retries)
    return found
