"""The async twins of the public API, for async views: the same programs, awaited.

Each runs on ``redis.asyncio`` without a thread (:mod:`django_rq_poll.drivers.aio`);
only what rq can do solely through its synchronous API (fetching a job to delete, cancel
or stop it, or enqueueing on an ``is_async=False`` queue, which runs the job) goes to a
thread, one call at a time. They are made beside their sync functions, in
:mod:`django_rq_poll.api`.
"""

from __future__ import annotations

from .api import (
    abegin_process,
    acancel_process,
    acheck_status_or_begin,
    aforget_process,
    aget_process_progress,
    aget_process_result,
    aget_process_snapshot,
    aget_process_status,
    aget_taskid_from_url,
    aget_url_from_taskid,
    aprocess_has_failed,
    aprocess_is_complete,
    aprocess_is_pending,
    aprocess_is_running,
    aprocess_is_running_or_complete,
)

__all__ = [
    "abegin_process",
    "acancel_process",
    "acheck_status_or_begin",
    "aforget_process",
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
