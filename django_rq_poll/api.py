"""The public polling API: the functions of ``lingcod.async``, over RQ jobs.

Each is a program of :mod:`django_rq_poll.core.calls` run by the synchronous driver;
:mod:`django_rq_poll.aapi` runs the same programs awaited.
"""

from __future__ import annotations

import functools

from .core import calls
from .core.calls import StatusText, found_status
from .drivers import backends, sync

__all__ = [
    "StatusText",
    "begin_process",
    "cancel_process",
    "check_status_or_begin",
    "forget_process",
    "found_status",
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
    "start_unless_active",
]

_public = functools.partial(sync.public, home=backends.backend)

begin_process = _public(calls.begin_process)
check_status_or_begin = _public(calls.check_status_or_begin)
start_unless_active = _public(calls.start_unless_active)
get_process_status = _public(calls.get_process_status)
process_is_running_or_complete = _public(calls.process_is_running_or_complete)
process_is_running = _public(calls.process_is_running)
process_is_pending = _public(calls.process_is_pending)
process_is_complete = _public(calls.process_is_complete)
process_has_failed = _public(calls.process_has_failed)
get_process_result = _public(calls.get_process_result)
get_process_progress = _public(calls.get_process_progress)
get_process_snapshot = _public(calls.get_process_snapshot)
get_taskid_from_url = _public(calls.get_taskid_from_url)
get_url_from_taskid = _public(calls.get_url_from_taskid)
forget_process = _public(calls.forget_process)
cancel_process = _public(calls.cancel_process)
