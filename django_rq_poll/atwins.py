"""The async twins that read and start, awaiting ``redis.asyncio`` instead of a thread.

Each answers what its synchronous function in :mod:`django_rq_poll.api` answers (same
checks, same lookup script, same decoding, the same start transaction with the same
commands; ``tests/test_atwins.py`` and ``tests/test_awrite.py`` compare them). A start
on a queue with ``is_async=False`` goes to the synchronous function in a thread, as it
must: rq runs the job while enqueuing it (so would a start that found itself inside a
transaction whose commit django-rq waits for, which async code does not open).
``aforget_process`` and ``acancel_process`` always do: rq's ``Job.delete`` and its stop
command read as they write, through its synchronous API.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async

from . import api, aread, awrite, pending, store, tasks
from .exceptions import ProcessFailed
from .progress import Progress
from .states import State

__all__ = [
    "abegin_process",
    "acheck_status_or_begin",
    "aget_process_progress",
    "aget_process_result",
    "aget_process_snapshot",
    "aget_process_status",
    "aget_taskid_from_url",
    "aget_url_from_taskid",
    "aprocess_has_failed",
    "aprocess_is_complete",
    "aprocess_is_pending",
    "aprocess_is_running",
    "aprocess_is_running_or_complete",
    "astart_unless_active",
]


async def _asnapshot(
    polling_url: str | None,
    task_id: str | None,
    caller: str,
    *,
    result: bool = False,
    meta: bool = False,
) -> store.Snapshot | None:
    api._require(polling_url, task_id, caller)
    by_url = polling_url if task_id is None else None
    waiting = pending.find(by_url, task_id)
    if waiting is not None:
        return store.Snapshot(waiting, "queued", State.PENDING, False)
    return await aread.reader().lookup(by_url, task_id, result=result, meta=meta)


async def _astate_in(
    polling_url: str | None, task_id: str | None, caller: str, *states: State
) -> bool:
    api._require(polling_url, task_id, caller)
    by_url = polling_url if task_id is None else None
    if pending.find(by_url, task_id) is not None:
        return State.PENDING in states
    return await aread.reader().state(by_url, task_id) in states


async def aget_process_status(
    polling_url: str | None = None, task_id: str | None = None
) -> State | None:
    """Async twin of :func:`get_process_status`, for async views."""
    snap = await _asnapshot(polling_url, task_id, "get_process_status")
    return snap.state if snap is not None else None


async def aprocess_is_running_or_complete(
    polling_url: str | None = None, task_id: str | None = None
) -> bool:
    """Async twin of :func:`process_is_running_or_complete`, for async views."""
    return await _astate_in(
        polling_url,
        task_id,
        "process_is_running_or_complete",
        State.PENDING,
        State.RUNNING,
        State.COMPLETE,
    )


async def aprocess_is_running(polling_url: str | None = None, task_id: str | None = None) -> bool:
    """Async twin of :func:`process_is_running`, for async views."""
    return await _astate_in(polling_url, task_id, "process_is_running", State.RUNNING)


async def aprocess_is_pending(polling_url: str | None = None, task_id: str | None = None) -> bool:
    """Async twin of :func:`process_is_pending`, for async views."""
    return await _astate_in(polling_url, task_id, "process_is_pending", State.PENDING)


async def aprocess_is_complete(polling_url: str | None = None, task_id: str | None = None) -> bool:
    """Async twin of :func:`process_is_complete`, for async views."""
    return await _astate_in(polling_url, task_id, "process_is_complete", State.COMPLETE)


async def aprocess_has_failed(polling_url: str | None = None, task_id: str | None = None) -> bool:
    """Async twin of :func:`process_has_failed`, for async views."""
    return await _astate_in(polling_url, task_id, "process_has_failed", State.FAILED)


async def aget_process_result(polling_url: str | None = None, task_id: str | None = None) -> Any:
    """Async twin of :func:`get_process_result`, for async views."""
    snap = await _asnapshot(polling_url, task_id, "get_process_result", result=True)
    if snap is None:
        return None
    if snap.state is State.FAILED:
        raise ProcessFailed(snap.task_id, snap.error or "")
    return snap.return_value if snap.state is State.COMPLETE else None


async def aget_process_progress(
    polling_url: str | None = None, task_id: str | None = None
) -> Progress | None:
    """Async twin of :func:`get_process_progress`, for async views."""
    snap = await _asnapshot(polling_url, task_id, "get_process_progress", meta=True)
    return Progress.from_meta(snap.meta) if snap is not None else None


async def aget_process_snapshot(
    polling_url: str | None = None, task_id: str | None = None, *, result: bool = False
) -> store.Snapshot | None:
    """Async twin of :func:`get_process_snapshot`, for async views."""
    return await _asnapshot(polling_url, task_id, "get_process_snapshot", result=result, meta=True)


async def aget_taskid_from_url(polling_url: str | None = None) -> str | None:
    """Async twin of :func:`get_taskid_from_url`, for async views."""
    if polling_url is None:
        raise ValueError("get_taskid_from_url() needs a polling_url.")
    snap = await _asnapshot(polling_url, None, "get_taskid_from_url")
    return snap.task_id if snap is not None else None


async def aget_url_from_taskid(task_id: str | None = None) -> str | None:
    """Async twin of :func:`get_url_from_taskid`, for async views."""
    if task_id is None:
        raise ValueError("get_url_from_taskid() needs a task_id.")
    snap = await _asnapshot(None, task_id, "get_url_from_taskid", meta=True)
    url = (snap.meta or {}).get(store.META_URL) if snap is not None else None
    return url if isinstance(url, str) else None


# -- starting --------------------------------------------------------------------------
def _needs_thread(plan: api._Plan) -> bool:
    """An ``is_async=False`` queue runs the job inside the enqueue, and django-rq's
    on-commit modes wait for the caller's transaction: both stay on the sync side."""
    return not plan.queue.is_async or api._deferred_to_commit()


async def _astart(plan: api._Plan, *, replace: bool) -> tuple[store.Snapshot | None, Any]:
    return await awrite.start(
        aread.reader(),  # the mappings' Redis: every queue a plan names shares it
        plan.queue,
        plan.make_job,
        plan.polling_url,
        replace=replace,
        gate=plan.gate,
    )


async def _abegin_unless_active(plan: api._Plan) -> api.StatusText:
    current, job = await _astart(plan, replace=plan.polling_url is None)
    if current is not None:
        return api.found_status(current)
    assert job is not None
    return api._status_text(str(job.id), State.PENDING, started=True)


async def abegin_process(
    task_method: tasks.TaskRef,
    task_args: tuple[Any, ...] | list[Any] = (),
    task_kwargs: dict[str, Any] | None = None,
    polling_url: str | None = None,
    cache_results: bool = True,
    *,
    visitor: str | None = None,
    **job_options: Any,
) -> str:
    """Async twin of :func:`begin_process`, for async views."""
    plan = api._plan(
        task_method, task_args, task_kwargs, polling_url, cache_results, job_options, visitor
    )
    if _needs_thread(plan):
        return await sync_to_async(api._start, thread_sensitive=False)(plan)
    _, job = await _astart(plan, replace=True)
    assert job is not None
    return str(job.id)


async def acheck_status_or_begin(
    task_method: tasks.TaskRef,
    task_args: tuple[Any, ...] | list[Any] = (),
    task_kwargs: dict[str, Any] | None = None,
    polling_url: str | None = None,
    task_id: str | None = None,
    cache_results: bool = True,
    *,
    visitor: str | None = None,
    **job_options: Any,
) -> api.StatusText:
    """Async twin of :func:`check_status_or_begin`, for async views."""
    api._require(polling_url, task_id, "check_status_or_begin")
    plan = api._plan(
        task_method, task_args, task_kwargs, polling_url, cache_results, job_options, visitor
    )
    if _needs_thread(plan):
        return await sync_to_async(api._check_or_begin, thread_sensitive=False)(plan, task_id)
    found = None  # by the task id when one is given, else by the URL (as the sync one)
    if plan.polling_url is not None or task_id is not None:
        found = await _asnapshot(plan.polling_url, task_id, "check_status_or_begin")
    if found is not None and store.keeps(found):
        return api.found_status(found)
    return await _abegin_unless_active(plan)


async def astart_unless_active(
    task_method: tasks.TaskRef,
    task_args: tuple[Any, ...] | list[Any] = (),
    task_kwargs: dict[str, Any] | None = None,
    polling_url: str | None = None,
    *,
    visitor: str | None = None,
    **job_options: Any,
) -> api.StatusText:
    """Async twin of :func:`start_unless_active`, for async views."""
    if polling_url is None:
        raise ValueError("start_unless_active() needs a polling_url.")
    plan = api._plan(task_method, task_args, task_kwargs, polling_url, True, job_options, visitor)
    if _needs_thread(plan):
        return await sync_to_async(api._begin_unless_active, thread_sensitive=False)(plan)
    return await _abegin_unless_active(plan)
