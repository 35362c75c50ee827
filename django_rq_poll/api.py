"""The public polling API: the functions of ``lingcod.async``, over RQ jobs."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.db import connection, transaction
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation
from rq.job import Job
from rq.queue import Queue

from . import callbacks, keys, limits, pending, store, tasks, texts
from .conf import DEFAULT_RESULT_TTL, conf
from .exceptions import ProcessFailed
from .progress import Progress
from .states import State, from_rq_status

# Options begin_process passes to rq's Queue.create_job, besides the ones it sets itself.
JOB_OPTIONS = frozenset(
    {
        "timeout",
        "result_ttl",
        "ttl",
        "failure_ttl",
        "description",
        "meta",
        "retry",
        "repeat",
        "on_success",
        "on_failure",
        "on_stopped",
        "webhooks",
        "at_front",
    }
)
_REFUSED = {
    "job_id": "ids are generated per run, so that old results never mix with new ones",
    "unique": "check_status_or_begin already starts at most one job per polling URL",
    "depends_on": "dependent jobs cannot be enqueued in the same transaction as the URL",
    "pipeline": "the enqueue and the URL mapping are written in one transaction of their own",
}


class StatusText(str):
    """The status text, carrying the id of the job it speaks of."""

    #: The id of the job this text speaks of: the one just started, or the one found.
    task_id: str
    #: That job's state when the text was made.
    state: State
    #: ``True`` when this call started the job.
    started: bool

    def __new__(cls, text: str, *, task_id: str, state: State, started: bool) -> StatusText:
        self = super().__new__(cls, text)
        self.task_id = task_id
        self.state = state
        self.started = started
        return self


@dataclass
class _Plan:
    """Everything begin needs, validated before Redis is touched."""

    backend: store.Backend
    queue: Queue
    task: tasks.TaskRef
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    polling_url: str | None
    options: dict[str, Any]
    gate: limits.Limits | None = None

    def make_job(self) -> Job:
        job = self.queue.create_job(
            self.task,  # type: ignore[type-var]
            args=self.args,
            kwargs=self.kwargs,
            job_id=store.new_job_id(),
            **{**self.options, "meta": dict(self.options["meta"])},
        )
        try:
            job.data  # noqa: B018 -- serialize now, so a bad argument fails before anything is written
        except Exception as exc:
            raise TypeError(
                f"The arguments of {job.func_name} cannot be serialized by the queue "
                f"{self.queue.name!r}: {exc}"
            ) from exc
        return job


def _plan(
    task_method: object,
    task_args: Any,
    task_kwargs: Any,
    polling_url: str | None,
    cache_results: bool,
    job_options: dict[str, Any],
    visitor: str | None = None,
) -> _Plan:
    task = tasks.resolve(task_method)
    if not isinstance(task_args, tuple | list):
        raise TypeError(f"task_args must be a tuple or list, not {type(task_args).__name__}.")
    if task_kwargs is not None and not isinstance(task_kwargs, dict):
        raise TypeError(f"task_kwargs must be a dict, not {type(task_kwargs).__name__}.")
    _check_url(polling_url)
    limits.check_url(polling_url)
    gate = limits.for_visitor(visitor)
    options = dict(job_options)
    queue_name = options.pop("queue", None)
    for name, why in _REFUSED.items():
        if name in options:
            raise TypeError(f"begin_process() does not take {name}=: {why}.")
    unknown = set(options) - JOB_OPTIONS
    if unknown:
        raise TypeError(
            f"Unknown job option(s) {', '.join(sorted(unknown))}; "
            f"known: queue, {', '.join(sorted(JOB_OPTIONS))}."
        )
    if queue_name is not None and not isinstance(queue_name, str):
        raise TypeError("queue= takes the name of a queue in RQ_QUEUES.")
    backend = store.queue_backend(queue_name)
    meta = dict(options.get("meta") or {})
    if polling_url is not None:
        meta[store.META_URL] = polling_url
    options["meta"] = meta
    options.update(callbacks.wrap(options, meta))
    if options.get("result_ttl") is None:
        options["result_ttl"] = _default_result_ttl(backend.queue.name)
    if options.get("failure_ttl") is None:
        options["failure_ttl"] = conf.FAILURE_TTL
    if options.get("ttl") is None:
        options["ttl"] = conf.QUEUED_TTL
    return _Plan(
        backend,
        backend.queue,
        task,
        tuple(task_args),
        dict(task_kwargs or {}),
        polling_url if cache_results else None,
        options,
        gate,
    )


def _default_result_ttl(queue_name: str) -> int:
    if conf.RESULT_TTL is not None:
        return conf.RESULT_TTL
    from django_rq.queues import get_result_ttl

    ttl = get_result_ttl(queue_name)
    return int(ttl) if ttl is not None else DEFAULT_RESULT_TTL


def _deferred_to_commit() -> bool:
    """django-rq's commit modes other than 'auto' wait for the open transaction."""
    if not connection.in_atomic_block:
        return False
    from django_rq.queues import get_commit_mode

    return bool(get_commit_mode() != "auto")


def _start(plan: _Plan) -> str:
    if not _deferred_to_commit():
        _, job = plan.backend.start(
            plan.queue, plan.make_job, plan.polling_url, replace=True, gate=plan.gate
        )
        assert job is not None
        return str(job.id)
    # Enqueued on commit: the limits are checked now, and the job holds its visitor's
    # slot from now on (until the commit enqueues it, or for RESERVED_SLOT seconds).
    job = plan.make_job()
    if plan.gate is not None:
        plan.backend.reserve(plan.queue, plan.polling_url, plan.gate, job.id)

    def enqueue_on_commit() -> None:
        pending.discard(job.id)
        plan.backend.enqueue(plan.queue, job, plan.polling_url, plan.gate)

    transaction.on_commit(enqueue_on_commit)
    pending.add(job.id, plan.polling_url, enqueue_on_commit)
    return str(job.id)


def _check_url(polling_url: object) -> None:
    if polling_url is not None and not isinstance(polling_url, str):
        raise TypeError(f"polling_url must be a string, not {type(polling_url).__name__}.")


def _require(polling_url: str | None, task_id: str | None, caller: str) -> None:
    if polling_url is None and task_id is None:
        raise ValueError(f"{caller}() needs a polling_url or a task_id to find the process.")
    _check_url(polling_url)


def _snapshot(
    polling_url: str | None,
    task_id: str | None,
    caller: str,
    *,
    result: bool = False,
    meta: bool = False,
) -> store.Snapshot | None:
    """One lookup; ``task_id`` wins when both are given."""
    _require(polling_url, task_id, caller)
    by_url = polling_url if task_id is None else None
    waiting = pending.find(by_url, task_id)
    if waiting is not None:
        return store.Snapshot(waiting, "queued", State.PENDING, False)
    return store.backend().lookup(by_url, task_id, result=result, meta=meta)


# -- starting ----------------------------------------------------------------------
def begin_process(
    task_method: tasks.TaskRef,
    task_args: tuple[Any, ...] | list[Any] = (),
    task_kwargs: dict[str, Any] | None = None,
    polling_url: str | None = None,
    cache_results: bool = True,
    *,
    visitor: str | None = None,
    **job_options: Any,
) -> str:
    """Start a new job, whatever is running already, and return its id.

    With a ``polling_url`` (and ``cache_results``) the URL points at the new job from
    then on; the enqueue and the switch are one Redis transaction. A ``polling_url``
    longer than ``RQ_POLL['MAX_URL_LENGTH']`` raises ``ValueError``. With a ``visitor``
    (any string naming who asks, as pages do) the job counts against that visitor's
    ``RQ_POLL['MAX_ACTIVE_JOBS']``, checked in the same transaction, and
    :class:`TooManyJobs` or :class:`QueueFull` is raised instead of starting it over a
    limit. ``job_options`` go to rq: ``queue`` (a name in ``RQ_QUEUES``), ``timeout``,
    ``result_ttl``, ``failure_ttl``, ``ttl`` (default ``RQ_POLL['QUEUED_TTL']``),
    ``meta``, ``retry``, ``on_success`` ...
    """
    plan = _plan(
        task_method, task_args, task_kwargs, polling_url, cache_results, job_options, visitor
    )
    return _start(plan)


def check_status_or_begin(
    task_method: tasks.TaskRef,
    task_args: tuple[Any, ...] | list[Any] = (),
    task_kwargs: dict[str, Any] | None = None,
    polling_url: str | None = None,
    task_id: str | None = None,
    cache_results: bool = True,
    *,
    visitor: str | None = None,
    **job_options: Any,
) -> StatusText:
    """Start the job unless one is queued, running or finished for this URL or id.

    Returns the status text; its ``task_id`` attribute names the job started or
    found, ``started`` says which, ``state`` is the job's :class:`State`. Any number
    of simultaneous calls for one URL start exactly one job, except inside a
    transaction whose commit django-rq waits for: there the job is enqueued on commit
    and only calls from the same thread see it before then. A failed or canceled job
    is replaced by a new one. ``visitor`` and the URL length limit work as in
    :func:`begin_process`; a job found running or finished is answered whatever the
    limits.
    """
    _require(polling_url, task_id, "check_status_or_begin")
    plan = _plan(
        task_method, task_args, task_kwargs, polling_url, cache_results, job_options, visitor
    )
    return _check_or_begin(plan, task_id)


def _check_or_begin(plan: _Plan, task_id: str | None) -> StatusText:
    # The job named by the task id when one is given (the id wins, as everywhere),
    # else the URL's; a job started is mapped to the URL either way.
    found = None
    if plan.polling_url is not None or task_id is not None:
        found = _snapshot(plan.polling_url, task_id, "check_status_or_begin")
    if found is not None and store.keeps(found):
        return found_status(found)
    return _begin_unless_active(plan)


def start_unless_active(
    task_method: tasks.TaskRef,
    task_args: tuple[Any, ...] | list[Any] = (),
    task_kwargs: dict[str, Any] | None = None,
    polling_url: str | None = None,
    *,
    visitor: str | None = None,
    **job_options: Any,
) -> StatusText:
    """:func:`check_status_or_begin` for a caller that has just looked the URL up and
    found nothing to keep (the pages): straight to the one atomic start, which checks
    the mapping again, counts the visitor's jobs, enqueues and maps."""
    if polling_url is None:
        raise ValueError("start_unless_active() needs a polling_url.")
    plan = _plan(task_method, task_args, task_kwargs, polling_url, True, job_options, visitor)
    return _begin_unless_active(plan)


def _begin_unless_active(plan: _Plan) -> StatusText:
    if plan.polling_url is None or _deferred_to_commit():
        return _status_text(_start(plan), State.PENDING, started=True)
    current, job = plan.backend.start(
        plan.queue, plan.make_job, plan.polling_url, replace=False, gate=plan.gate
    )
    if current is not None:
        return found_status(current)
    assert job is not None
    return _status_text(str(job.id), State.PENDING, started=True)


def found_status(snapshot: store.Snapshot) -> StatusText:
    """The status text of a job found queued, running or finished (none was started)."""
    return _status_text(snapshot.task_id, snapshot.state, started=False)


def _status_text(task_id: str, state: State, *, started: bool) -> StatusText:
    # A job found failed or canceled is replaced, so only "complete" or "running" occur.
    shown = State.COMPLETE if state is State.COMPLETE else State.RUNNING
    text = texts.status_text(shown, started=started)
    return StatusText(text, task_id=task_id, state=state, started=started)


# -- asking --------------------------------------------------------------------------
def get_process_status(polling_url: str | None = None, task_id: str | None = None) -> State | None:
    """The job's :class:`State`, or ``None`` when no job is known for the URL or id."""
    snap = _snapshot(polling_url, task_id, "get_process_status")
    return snap.state if snap is not None else None


def _state_in(polling_url: str | None, task_id: str | None, caller: str, *states: State) -> bool:
    # The snapshot's work without its decoding: these are the most frequent calls.
    _require(polling_url, task_id, caller)
    by_url = polling_url if task_id is None else None
    if pending.find(by_url, task_id) is not None:
        return State.PENDING in states
    return store.backend().state(by_url, task_id) in states


def process_is_running_or_complete(
    polling_url: str | None = None, task_id: str | None = None
) -> bool:
    """True while the job is queued or running, and once it has finished."""
    return _state_in(
        polling_url,
        task_id,
        "process_is_running_or_complete",
        State.PENDING,
        State.RUNNING,
        State.COMPLETE,
    )


def process_is_running(polling_url: str | None = None, task_id: str | None = None) -> bool:
    """True while a live worker runs the job."""
    return _state_in(polling_url, task_id, "process_is_running", State.RUNNING)


def process_is_pending(polling_url: str | None = None, task_id: str | None = None) -> bool:
    """True while the job waits: queued, deferred or scheduled."""
    return _state_in(polling_url, task_id, "process_is_pending", State.PENDING)


def process_is_complete(polling_url: str | None = None, task_id: str | None = None) -> bool:
    """True once the job has finished and its result is in Redis."""
    return _state_in(polling_url, task_id, "process_is_complete", State.COMPLETE)


def process_has_failed(polling_url: str | None = None, task_id: str | None = None) -> bool:
    """True when the job raised, timed out, was stopped, or its worker died."""
    return _state_in(polling_url, task_id, "process_has_failed", State.FAILED)


def get_process_result(polling_url: str | None = None, task_id: str | None = None) -> Any:
    """The finished job's return value; ``None`` while unfinished or unknown.

    Raises :class:`ProcessFailed` with the error text when the job failed.
    """
    snap = _snapshot(polling_url, task_id, "get_process_result", result=True)
    if snap is None:
        return None
    if snap.state is State.FAILED:
        raise ProcessFailed(snap.task_id, snap.error or "")
    return snap.return_value if snap.state is State.COMPLETE else None


def get_process_progress(
    polling_url: str | None = None, task_id: str | None = None
) -> Progress | None:
    """What the job last reported with :func:`set_progress`, or ``None``."""
    snap = _snapshot(polling_url, task_id, "get_process_progress", meta=True)
    return Progress.from_meta(snap.meta) if snap is not None else None


def get_process_snapshot(
    polling_url: str | None = None, task_id: str | None = None, *, result: bool = False
) -> store.Snapshot | None:
    """Everything one lookup knows of the job: state, meta, error text, and with
    ``result`` its return value; ``None`` when no job is known.

    Pages use it to decide in one Redis round trip what to show.
    """
    return _snapshot(polling_url, task_id, "get_process_snapshot", result=result, meta=True)


def get_taskid_from_url(polling_url: str | None = None) -> str | None:
    """The id of the job that answers this URL, or ``None``."""
    if polling_url is None:
        raise ValueError("get_taskid_from_url() needs a polling_url.")
    snap = _snapshot(polling_url, None, "get_taskid_from_url")
    return snap.task_id if snap is not None else None


def get_url_from_taskid(task_id: str | None = None) -> str | None:
    """The polling URL the job was started for, or ``None``."""
    if task_id is None:
        raise ValueError("get_url_from_taskid() needs a task_id.")
    snap = _snapshot(None, task_id, "get_url_from_taskid", meta=True)
    url = (snap.meta or {}).get(store.META_URL) if snap is not None else None
    return url if isinstance(url, str) else None


# -- changing ------------------------------------------------------------------------
def forget_process(polling_url: str | None = None, task_id: str | None = None) -> bool:
    """Drop the URL mapping and the finished job's cached result.

    The next :func:`check_status_or_begin` then computes afresh. A job still queued
    or running is left alone (only the mapping goes). Returns whether anything was
    forgotten.
    """
    _require(polling_url, task_id, "forget_process")
    backend = store.backend()
    if task_id is None:
        assert polling_url is not None
        task_id = backend.mapped_task_id(polling_url)
        if task_id is None:
            return False
    elif not keys.is_valid_job_id(task_id):
        return False  # names no job, and no mapping can point at it
    job = backend.fetch_job(task_id)
    url = polling_url if polling_url is not None else _job_url(job)
    forgot = url is not None and backend.forget_mapping(keys.url_key(url), task_id)
    if job is not None and from_rq_status(job.get_status(refresh=False)).done:
        forgot = backend.delete_job(job) or forgot  # False when a racer deleted it first
    return forgot


def cancel_process(polling_url: str | None = None, task_id: str | None = None) -> bool:
    """Cancel a queued job, or ask its worker to stop a running one.

    A canceled job reads :attr:`State.CANCELED`; a stopped one :attr:`State.FAILED`
    once the worker has stopped it. Returns whether it did either.
    """
    snap = _snapshot(polling_url, task_id, "cancel_process")
    if snap is None or snap.state.done:
        return False
    backend = store.backend()
    job = backend.fetch_job(snap.task_id)
    if job is None:
        return False
    if snap.state is State.PENDING:
        if not backend.cancel_job(job):
            return False
    else:
        with backend.errors():
            try:
                send_stop_job_command(backend.connection, job.id, serializer=backend.serializer)
            except InvalidJobOperation:
                return False
    url = _job_url(job)
    if url is not None:
        backend.settle(keys.url_key(url), job.id, store.settle_ttl(job))
    return True


def _job_url(job: Job | None) -> str | None:
    url = job.meta.get(store.META_URL) if job is not None else None
    return url if isinstance(url, str) else None


# -- async twins ---------------------------------------------------------------------
P = ParamSpec("P")
R = TypeVar("R")


def _twin(func: Callable[P, R]) -> Callable[P, Coroutine[Any, Any, R]]:
    async def twin(*args: P.args, **kwargs: P.kwargs) -> R:
        return await sync_to_async(func, thread_sensitive=False)(*args, **kwargs)

    twin.__name__ = twin.__qualname__ = f"a{func.__name__}"
    twin.__doc__ = f"Async twin of :func:`{func.__name__}`, for async views."
    twin.__module__ = func.__module__
    twin.__wrapped__ = func  # type: ignore[attr-defined]  # help() and autodoc show the real signature
    return twin


# The twins that change jobs without starting one run their synchronous function in a
# thread: rq's Job.delete and stop command read as they write, through its sync API.
aforget_process = _twin(forget_process)
acancel_process = _twin(cancel_process)

# Every twin in a thread, kept to compare with (bench) the native ones that replace
# them below: the readers, and the starters (acheck_status_or_begin ...).
_NATIVE: tuple[Callable[..., Any], ...] = (
    check_status_or_begin,
    start_unless_active,
    begin_process,
    get_process_status,
    process_is_running_or_complete,
    process_is_running,
    process_is_pending,
    process_is_complete,
    process_has_failed,
    get_process_result,
    get_process_progress,
    get_process_snapshot,
    get_taskid_from_url,
    get_url_from_taskid,
)
THREADED = {twin.__name__: twin for twin in map(_twin, _NATIVE)}

# The reading and starting twins await redis.asyncio natively, without a thread.
from .atwins import *  # noqa: E402, F403
