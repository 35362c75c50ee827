"""The public functions, each written once as a program (:mod:`.ops`).

:mod:`django_rq_poll.api` runs them with the synchronous driver and
:mod:`django_rq_poll.aapi` with the async one, so a function and its async twin cannot
answer differently. Each takes the mappings' queue (``home``) first; the drivers fill it
in, and the public signatures start after it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from rq.job import Job

from ..exceptions import ProcessFailed
from . import keys, meta, pending, reads, tasks, texts, writes
from .home import Home
from .ops import Blocking, Command, Program
from .plan import Plan, deferred_to_commit, plan, require
from .progress import Progress
from .snapshot import Snapshot, keeps
from .states import State, from_rq_status


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


def found_status(snapshot: Snapshot) -> StatusText:
    """The status text of a job found queued, running or finished (none was started)."""
    return _status_text(snapshot.task_id, snapshot.state, started=False)


def _status_text(task_id: str, state: State, *, started: bool) -> StatusText:
    # A job found failed or canceled is replaced, so only "complete" or "running" occur.
    shown = State.COMPLETE if state is State.COMPLETE else State.RUNNING
    text = texts.status_text(shown, started=started)
    return StatusText(text, task_id=task_id, state=state, started=started)


def snapshot(
    home: Home,
    /,
    polling_url: str | None,
    task_id: str | None,
    caller: str,
    *,
    result: bool = False,
    meta: bool = False,
) -> Program[Snapshot | None]:
    """One lookup; ``task_id`` wins when both are given; a job begun in this thread's
    open transaction answers pending."""
    require(polling_url, task_id, caller)
    by_url = polling_url if task_id is None else None
    waiting = pending.find(by_url, task_id)
    if waiting is not None:
        return Snapshot(waiting, "queued", State.PENDING, False)
    return (yield from reads.lookup(home, by_url, task_id, result=result, meta=meta))


def _state_in(
    home: Home, /, polling_url: str | None, task_id: str | None, caller: str, *states: State
) -> Program[bool]:
    # The snapshot's work without its decoding: these are the most frequent calls.
    require(polling_url, task_id, caller)
    by_url = polling_url if task_id is None else None
    if pending.find(by_url, task_id) is not None:
        return State.PENDING in states
    return (yield from reads.state(home, by_url, task_id)) in states


# -- starting ----------------------------------------------------------------------
def begin_process(
    home: Home,
    /,
    task_method: tasks.TaskRef,
    task_args: tuple[Any, ...] | list[Any] = (),
    task_kwargs: dict[str, Any] | None = None,
    polling_url: str | None = None,
    cache_results: bool = True,
    *,
    visitor: str | None = None,
    **job_options: Any,
) -> Program[str]:
    """Start a new job, whatever is running already, and return its id.

    With a ``polling_url`` (and ``cache_results``) the URL points at the new job from
    then on; the enqueue and the switch are one Redis transaction. A ``polling_url``
    longer than ``RQ_POLL['MAX_URL_LENGTH']`` raises ``ValueError``. With a ``visitor``
    (any string naming who asks, as pages do) the job counts against that visitor's
    ``RQ_POLL['MAX_ACTIVE_JOBS']``, checked in the same transaction, and
    :class:`TooManyJobs` or :class:`QueueFull` is raised instead of starting it over a
    limit. ``job_options`` go to rq: ``queue`` (a name in ``RQ_QUEUES``), ``timeout``,
    ``result_ttl``, ``failure_ttl``, ``ttl`` (default: none, or ``RQ_POLL['QUEUED_TTL']``
    with a ``visitor``),
    ``meta``, ``retry``, ``on_success`` ...
    """
    the_plan = plan(
        home, task_method, task_args, task_kwargs, polling_url, cache_results, job_options, visitor
    )
    return (yield from _start(the_plan))


def _start(the_plan: Plan, made: Job | None = None) -> Program[str]:
    return str((yield from start_job(the_plan, made)).id)


def start_job(the_plan: Plan, made: Job | None = None) -> Program[Job]:
    """Start the planned job now, or on commit when django-rq waits for the open
    transaction; the job either way (not yet in Redis in the second case). ``made``: a
    job that is to replace the URL's queued one, at that commit (:func:`writes.start`)."""
    if not deferred_to_commit():
        _, job = yield from writes.start(the_plan, replace=True)
        assert job is not None
        return job
    # Enqueued on commit: the limits are checked now, and the job holds its visitor's
    # slot from now on (until the commit enqueues it, or for RESERVED_SLOT seconds).
    job = made or the_plan.make_job()
    if the_plan.gate is not None:
        yield from writes.reserve(the_plan, the_plan.gate, job.id)

    def enqueue_on_commit() -> None:
        pending.discard(job.id)
        if made is None:
            the_plan.home.run(writes.enqueue(the_plan, job))
        else:  # decided again, atomically: a worker may have taken the old job since
            the_plan.home.run(writes.start(the_plan, replace=False, replace_queued=True, made=job))

    transaction.on_commit(enqueue_on_commit)
    pending.add(job.id, the_plan.polling_url, enqueue_on_commit)
    return job


def check_status_or_begin(
    home: Home,
    /,
    task_method: tasks.TaskRef,
    task_args: tuple[Any, ...] | list[Any] = (),
    task_kwargs: dict[str, Any] | None = None,
    polling_url: str | None = None,
    task_id: str | None = None,
    cache_results: bool = True,
    *,
    visitor: str | None = None,
    replace_queued: bool = False,
    **job_options: Any,
) -> Program[StatusText]:
    """Start the job unless one is queued, running or finished for this URL or id.

    Returns the status text; its ``task_id`` attribute names the job started or
    found, ``started`` says which, ``state`` is the job's :class:`State`. Any number
    of simultaneous calls for one URL start exactly one job, except inside a
    transaction whose commit django-rq waits for: there the job is enqueued on commit
    and only calls from the same thread see it before then. A failed or canceled job
    is replaced by a new one. ``visitor`` and the URL length limit work as in
    :func:`begin_process`; a job found running or finished is answered whatever the
    limits.

    With ``replace_queued=True``, new arguments win while the URL's job still waits for
    a worker: when its function or arguments (compared serialized) differ from this
    call's, the waiting job is deleted and one for this call enqueued and mapped in its
    place (its turn in the queue too), in one transaction (a worker that takes the old
    job first makes it running, and it is kept). Identical calls share one job; a
    running or finished job is answered as without the option. Inside a transaction
    whose commit django-rq waits for, the replacement is made at the commit, in the same
    way: if a worker has taken the old job by then, it is kept, and the id returned
    names no job.
    """
    require(polling_url, task_id, "check_status_or_begin")
    the_plan = plan(
        home, task_method, task_args, task_kwargs, polling_url, cache_results, job_options, visitor
    )
    # The job named by the task id when one is given (the id wins, as everywhere),
    # else the URL's; a job started is mapped to the URL either way.
    found = None
    if the_plan.polling_url is not None or task_id is not None:
        found = yield from snapshot(home, the_plan.polling_url, task_id, "check_status_or_begin")
    replaceable = replace_queued and found is not None and found.rq_status == "queued"
    if found is not None and keeps(found) and not replaceable:
        return found_status(found)
    if replaceable and found is not None:
        # Two reads settle the usual case, an identical call (a page asking again), at
        # once; anything else is decided inside the start's transaction.
        job = the_plan.make_job()
        if (yield from writes.waits_with_same_call(found, job)):
            return found_status(found)
        if deferred_to_commit():  # replaced at the commit django-rq waits for
            return _status_text((yield from _start(the_plan, job)), State.PENDING, started=True)
    return (yield from _begin_unless_active(the_plan, replace_queued=replace_queued))


def start_unless_active(
    home: Home,
    /,
    task_method: tasks.TaskRef,
    task_args: tuple[Any, ...] | list[Any] = (),
    task_kwargs: dict[str, Any] | None = None,
    polling_url: str | None = None,
    *,
    visitor: str | None = None,
    **job_options: Any,
) -> Program[StatusText]:
    """:func:`check_status_or_begin` for a caller that has just looked the URL up and
    found nothing to keep (the pages): straight to the one atomic start, which checks
    the mapping again, counts the visitor's jobs, enqueues and maps."""
    if polling_url is None:
        raise ValueError("start_unless_active() needs a polling_url.")
    the_plan = plan(
        home, task_method, task_args, task_kwargs, polling_url, True, job_options, visitor
    )
    return (yield from _begin_unless_active(the_plan))


def _begin_unless_active(the_plan: Plan, *, replace_queued: bool = False) -> Program[StatusText]:
    if the_plan.polling_url is None or deferred_to_commit():
        return _status_text((yield from _start(the_plan)), State.PENDING, started=True)
    current, job = yield from writes.start(the_plan, replace=False, replace_queued=replace_queued)
    if current is not None:
        return found_status(current)
    assert job is not None
    return _status_text(str(job.id), State.PENDING, started=True)


# -- asking --------------------------------------------------------------------------
def get_process_status(
    home: Home, /, polling_url: str | None = None, task_id: str | None = None
) -> Program[State | None]:
    """The job's :class:`State`, or ``None`` when no job is known for the URL or id."""
    snap = yield from snapshot(home, polling_url, task_id, "get_process_status")
    return snap.state if snap is not None else None


def _state_check(name: str, doc: str, *states: State) -> Callable[..., Program[bool]]:
    """A public state check: whether the job's state is one of ``states``."""

    def check(
        home: Home, /, polling_url: str | None = None, task_id: str | None = None
    ) -> Program[bool]:
        return (yield from _state_in(home, polling_url, task_id, name, *states))

    check.__name__ = check.__qualname__ = name
    check.__doc__ = doc
    return check


process_is_running_or_complete = _state_check(
    "process_is_running_or_complete",
    "True while the job is queued or running, and once it has finished.",
    State.PENDING,
    State.RUNNING,
    State.COMPLETE,
)
process_is_running = _state_check(
    "process_is_running", "True while a live worker runs the job.", State.RUNNING
)
process_is_pending = _state_check(
    "process_is_pending", "True while the job waits: queued, deferred or scheduled.", State.PENDING
)
process_is_complete = _state_check(
    "process_is_complete",
    "True once the job has finished and its result is in Redis.",
    State.COMPLETE,
)
process_has_failed = _state_check(
    "process_has_failed",
    "True when the job raised, timed out, was stopped, or its worker died.",
    State.FAILED,
)


def get_process_result(
    home: Home, /, polling_url: str | None = None, task_id: str | None = None
) -> Program[Any]:
    """The finished job's return value; ``None`` while unfinished or unknown.

    Raises :class:`ProcessFailed` with the error text when the job failed.
    """
    snap = yield from snapshot(home, polling_url, task_id, "get_process_result", result=True)
    if snap is None:
        return None
    if snap.state is State.FAILED:
        raise ProcessFailed(snap.task_id, snap.error or "")
    return snap.return_value if snap.state is State.COMPLETE else None


def get_process_progress(
    home: Home, /, polling_url: str | None = None, task_id: str | None = None
) -> Program[Progress | None]:
    """What the job last reported with :func:`set_progress`, or ``None``."""
    snap = yield from snapshot(home, polling_url, task_id, "get_process_progress", meta=True)
    return Progress.from_meta(snap.meta) if snap is not None else None


def get_process_snapshot(
    home: Home,
    /,
    polling_url: str | None = None,
    task_id: str | None = None,
    *,
    result: bool = False,
) -> Program[Snapshot | None]:
    """Everything one lookup knows of the job: state, meta, error text, and with
    ``result`` its return value; ``None`` when no job is known.

    Pages use it to decide in one Redis round trip what to show.
    """
    caller = "get_process_snapshot"
    return (yield from snapshot(home, polling_url, task_id, caller, result=result, meta=True))


def get_taskid_from_url(home: Home, /, polling_url: str | None = None) -> Program[str | None]:
    """The id of the job that answers this URL, or ``None``."""
    if polling_url is None:
        raise ValueError("get_taskid_from_url() needs a polling_url.")
    snap = yield from snapshot(home, polling_url, None, "get_taskid_from_url")
    return snap.task_id if snap is not None else None


def get_url_from_taskid(home: Home, /, task_id: str | None = None) -> Program[str | None]:
    """The polling URL the job was started for, or ``None``."""
    if task_id is None:
        raise ValueError("get_url_from_taskid() needs a task_id.")
    snap = yield from snapshot(home, None, task_id, "get_url_from_taskid", meta=True)
    return meta.url_in(snap.meta) if snap is not None else None


# -- changing ------------------------------------------------------------------------
def forget_process(
    home: Home, /, polling_url: str | None = None, task_id: str | None = None
) -> Program[bool]:
    """Drop the URL mapping and the finished job's cached result.

    The next :func:`check_status_or_begin` then computes afresh. A job still queued
    or running is left alone (only the mapping goes). Returns whether anything was
    forgotten.
    """
    require(polling_url, task_id, "forget_process")
    if task_id is None:
        assert polling_url is not None
        mapped = yield Command(("GET", keys.url_key(polling_url)))
        if mapped is None:
            return False
        task_id = mapped.decode(errors="replace") if isinstance(mapped, bytes) else str(mapped)
    if not keys.is_valid_job_id(task_id):
        return False  # names no job, and no mapping can point at it
    job = yield Blocking(home.fetch_job, (task_id,))
    url = polling_url if polling_url is not None else _job_url(job)
    forgot = url is not None and (yield from writes.forget_mapping(keys.url_key(url), task_id))
    if job is not None and from_rq_status(job.get_status(refresh=False)).done:
        deleted = yield Blocking(home.delete_job, (job,))  # False when a racer deleted it
        forgot = deleted or forgot
    return bool(forgot)


def cancel_process(
    home: Home, /, polling_url: str | None = None, task_id: str | None = None
) -> Program[bool]:
    """Cancel a queued job, or ask its worker to stop a running one.

    A canceled job reads :attr:`State.CANCELED`; a stopped one :attr:`State.FAILED`
    once the worker has stopped it. Returns whether it did either.
    """
    snap = yield from snapshot(home, polling_url, task_id, "cancel_process")
    if snap is None or snap.state.done:
        return False
    job = yield Blocking(home.fetch_job, (snap.task_id,))
    if job is None:
        return False
    stop = home.cancel_job if snap.state is State.PENDING else home.stop_job
    if not (yield Blocking(stop, (job,))):
        return False
    url = _job_url(job)
    if url is not None:
        yield from writes.settle(keys.url_key(url), job.id, writes.settle_ttl(job))
    return True


def _job_url(job: Any) -> str | None:
    return meta.url_in(job.meta) if job is not None else None
