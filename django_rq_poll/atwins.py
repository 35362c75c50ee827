"""The reading async twins, awaiting ``redis.asyncio`` instead of a thread of the pool.

Each answers what its synchronous function in :mod:`django_rq_poll.api` answers (same
checks, same lookup script, same decoding; ``tests/test_atwins.py`` compares them). The
twins that write (``acheck_status_or_begin``, ``abegin_process``, ``aforget_process``,
``acancel_process``) still run their synchronous function in a thread: they build rq jobs
with rq's synchronous API.
"""

from __future__ import annotations

from typing import Any

from . import api, aread, pending, store
from .exceptions import ProcessFailed
from .progress import Progress
from .states import State

__all__ = [
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
