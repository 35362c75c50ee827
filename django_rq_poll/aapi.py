"""The async twins of the public API, for async views: the same programs, awaited.

Each runs on ``redis.asyncio`` without a thread (:mod:`django_rq_poll.drivers.aio`);
only what rq can do solely through its synchronous API (fetching a job to delete, cancel
or stop it, or enqueueing on an ``is_async=False`` queue, which runs the job) goes to a
thread, one operation at a time.
"""

from __future__ import annotations

import functools

from .core import calls
from .drivers import aio, backends

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
    "astart_unless_active",
]

_public = functools.partial(aio.public, home=backends.backend)

abegin_process = _public(calls.begin_process)
acheck_status_or_begin = _public(calls.check_status_or_begin)
astart_unless_active = _public(calls.start_unless_active)
aget_process_status = _public(calls.get_process_status)
aprocess_is_running_or_complete = _public(calls.process_is_running_or_complete)
aprocess_is_running = _public(calls.process_is_running)
aprocess_is_pending = _public(calls.process_is_pending)
aprocess_is_complete = _public(calls.process_is_complete)
aprocess_has_failed = _public(calls.process_has_failed)
aget_process_result = _public(calls.get_process_result)
aget_process_progress = _public(calls.get_process_progress)
aget_process_snapshot = _public(calls.get_process_snapshot)
aget_taskid_from_url = _public(calls.get_taskid_from_url)
aget_url_from_taskid = _public(calls.get_url_from_taskid)
aforget_process = _public(calls.forget_process)
acancel_process = _public(calls.cancel_process)
