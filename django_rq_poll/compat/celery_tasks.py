"""Celery's ``@task`` decorator, so a madrona app's task module changes its imports only.

The decorator returns the function itself (a worker imports tasks by name, and a wrapper
would import as a different object), with three attributes: ``update_state``, which
reports through :func:`~django_rq_poll.set_progress`, and ``delay`` and ``apply_async``,
which start the job and answer a small :class:`AsyncResult`. With ``bind=True`` it
returns a function of the same name that hands the task's :class:`BoundTask` in as
``self``; :data:`current_task` is the running task, as Celery's.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rq import get_current_job

from .. import api
from ..progress import MESSAGE_LIMIT, Progress, set_progress
from .celery_results import AsyncResult

F = TypeVar("F", bound=Callable[..., Any])

#: Keys of a Celery ``meta`` read as how far the job has come, and out of how much.
CURRENT_KEYS = ("current", "done", "progress", "percent", "progress_percent")
TOTAL_KEYS = ("total",)
#: Keys read as the message, the first string found; else the state's own word.
MESSAGE_KEYS = ("message", "status", "step", "description")
# Celery's own words: no message of the app's, and no state rq could take on.
_PLAIN_STATES = frozenset(
    {"PROGRESS", "STARTED", "PENDING", "RECEIVED", "SUCCESS", "FAILURE", "RETRY", "REVOKED"}
)


#: ``apply_async``'s options that have a counterpart here; Celery's others (``countdown``,
#: ``eta``, ``expires``, ``link`` ...) are refused rather than quietly dropped.
APPLY_ASYNC_OPTIONS = frozenset({"queue"})


def task(func: Any = None, /, **options: Any) -> Any:
    """Celery's ``@task`` and ``@task(...)``: the function, given ``update_state``,
    ``delay`` and ``apply_async``.

    ``queue=`` names the queue ``delay`` uses (one of ``RQ_QUEUES``); ``bind=True`` hands
    a :class:`BoundTask` in as the first argument (``self.update_state``,
    ``self.request.id``). Celery's other options (``name``, ``ignore_result``,
    ``max_retries`` ...) are accepted and do nothing.
    """
    queue = options.get("queue")
    bind = bool(options.get("bind"))

    def decorate(f: F) -> F:
        if not callable(f):
            raise TypeError(f"@task decorates a function, not {type(f).__name__}.")
        target: Any = f
        if bind:
            bound = BoundTask(f"{f.__module__}.{f.__qualname__}")

            # The same module and name as the function it replaces in its module: the
            # worker imports this one, which passes the task object in.
            @functools.wraps(f)
            def run(*args: Any, **kwargs: Any) -> Any:
                return f(bound, *args, **kwargs)

            target = run

        def apply_async(
            args: Any = (), kwargs: dict[str, Any] | None = None, **given: Any
        ) -> AsyncResult:
            unknown = sorted(set(given) - APPLY_ASYNC_OPTIONS)
            if unknown:
                raise TypeError(
                    f"apply_async() option(s) {', '.join(unknown)} have no counterpart on RQ; "
                    "the job starts at once. Leave them out, or start it with "
                    "django_rq_poll.begin_process."
                )
            chosen = given.get("queue", queue)
            extra = {"queue": chosen} if chosen is not None else {}
            return AsyncResult(api.begin_process(target, tuple(args or ()), kwargs, **extra))

        def delay(*args: Any, **kwargs: Any) -> AsyncResult:
            return apply_async(args, kwargs)

        target.update_state = update_state
        target.delay = delay
        target.apply_async = apply_async
        return target  # type: ignore[no-any-return]

    return decorate(func) if func is not None else decorate


@dataclass(frozen=True)
class Request:
    """Celery's ``task.request``, as far as rq knows it: the running job's id and its
    arguments; ``id`` is ``None`` outside a job."""

    id: str | None = None
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


class BoundTask:
    """What a ``bind=True`` task gets as ``self``, and what :data:`current_task` is:
    Celery's task object as far as rq can be it (``name``, ``request``,
    ``update_state``)."""

    def __init__(self, name: str | None = None) -> None:
        self._name = name

    @property
    def name(self) -> str | None:
        """The task's dotted path (for ``current_task``, the running job's function)."""
        if self._name is not None:
            return self._name
        job = get_current_job()
        return job.func_name if job is not None else None

    @property
    def request(self) -> Request:
        job = get_current_job()
        if job is None:
            return Request()
        return Request(job.id, tuple(job.args or ()), dict(job.kwargs or {}))

    def update_state(
        self, task_id: str | None = None, state: str | None = None, meta: Any = None, **_: Any
    ) -> bool:
        """:func:`update_state`: the running job's progress."""
        return update_state(task_id, state, meta)


#: Celery's ``current_task``: ``current_task.update_state(...)`` and
#: ``current_task.request.id`` speak of the job this worker is running.
current_task = BoundTask()


def update_state(
    task_id: str | None = None, state: str | None = None, meta: Any = None, **_: Any
) -> bool:
    """Celery's ``update_state``, as progress of the running job
    (:func:`~django_rq_poll.set_progress`).

    ``meta``'s ``current`` (or ``done``, ``progress``, ``percent``) and ``total`` become the
    progress' numbers (a percentage has a total of 100 when none is given), its
    ``message`` (or ``status``, ``step``, ``description``) the message; with no message,
    a state of the app's own (``"RASTERNOTFOUND"``) is the message. Numbers not given
    keep their last value. rq has no custom states: the job stays running, and its
    final state is what the task returns or raises. Values that progress cannot hold
    (negative, not finite, not numbers) are left out rather than failing the job.
    Returns ``False`` outside an rq job (a direct call, a test), as ``set_progress`` does;
    ``ValueError`` for another job's ``task_id``.
    """
    job = get_current_job()
    if job is None:
        return False
    if task_id is not None and task_id != job.id:
        raise ValueError(
            f"update_state() can report only the running job's progress ({job.id}), "
            f"not {task_id!r}'s."
        )
    last = Progress.from_meta(job.meta)  # what this job last reported
    current, total, message = reported(state, meta)
    if current is None:
        current = last.current if last is not None else 0.0
    if total is None and last is not None and last.total is not None:
        total = last.total
    if total is not None and total <= 0:
        total = None
    return set_progress(current, total, message)


def reported(state: str | None, meta: Any) -> tuple[float | None, float | None, str]:
    """``(current, total, message)`` of one ``update_state`` call; ``None`` where absent."""
    fields = meta if isinstance(meta, dict) else {}
    current = _number(fields, CURRENT_KEYS)
    total = _number(fields, TOTAL_KEYS)
    if total is None and current is not None and not _has(fields, ("current", "done")):
        total = 100.0  # "progress": 50, "percent": 50 ... out of a hundred
    message = next((fields[k] for k in MESSAGE_KEYS if isinstance(fields.get(k), str)), None)
    if message is None:
        message = state if isinstance(state, str) and state not in _PLAIN_STATES else ""
    return current, total, message[:MESSAGE_LIMIT]


def _has(fields: dict[Any, Any], names: tuple[str, ...]) -> bool:
    return _number(fields, names) is not None


def _number(fields: dict[Any, Any], names: tuple[str, ...]) -> float | None:
    for name in names:
        value = fields.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        try:
            number = float(value)
        except OverflowError:
            continue
        if math.isfinite(number) and number >= 0:
            return number
    return None
