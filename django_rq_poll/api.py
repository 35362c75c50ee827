"""The public polling API: the functions of ``lingcod.async``, over RQ jobs.

Each line makes a function and its async twin (re-exported by :mod:`django_rq_poll.aapi`)
out of one program of :mod:`django_rq_poll.core.calls`: the function runs it with the
synchronous driver, the twin awaits it on ``redis.asyncio``, so the two cannot answer
differently.
"""

from __future__ import annotations

from .core import calls
from .core.calls import StatusText
from .drivers.twins import twins

__all__ = [
    "StatusText",
    "begin_process",
    "cancel_process",
    "check_status_or_begin",
    "forget_process",
    "get_process_progress",
    "get_process_result",
    "get_process_snapshot",
    "get_process_status",
    "get_taskid_from_url",
    "get_url_from_taskid",
    "process_has_failed",
    "process_is_complete",
    "process_is_pending",
    "process_is_running",
    "process_is_running_or_complete",
]

begin_process, abegin_process = twins(calls.begin_process)
check_status_or_begin, acheck_status_or_begin = twins(calls.check_status_or_begin)
start_unless_active, astart_unless_active = twins(calls.start_unless_active)
get_process_status, aget_process_status = twins(calls.get_process_status)
process_is_running_or_complete, aprocess_is_running_or_complete = twins(
    calls.process_is_running_or_complete
)
process_is_running, aprocess_is_running = twins(calls.process_is_running)
process_is_pending, aprocess_is_pending = twins(calls.process_is_pending)
process_is_complete, aprocess_is_complete = twins(calls.process_is_complete)
process_has_failed, aprocess_has_failed = twins(calls.process_has_failed)
get_process_result, aget_process_result = twins(calls.get_process_result)
get_process_progress, aget_process_progress = twins(calls.get_process_progress)
get_process_snapshot, aget_process_snapshot = twins(calls.get_process_snapshot)
get_taskid_from_url, aget_taskid_from_url = twins(calls.get_taskid_from_url)
get_url_from_taskid, aget_url_from_taskid = twins(calls.get_url_from_taskid)
forget_process, aforget_process = twins(calls.forget_process)
cancel_process, acancel_process = twins(calls.cancel_process)
