"""django-rq-poll: run slow work in RQ; pages say "still running" until the result is ready."""

from __future__ import annotations

from .aapi import (
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
from .api import (
    StatusText,
    begin_process,
    cancel_process,
    check_status_or_begin,
    forget_process,
    get_process_progress,
    get_process_result,
    get_process_snapshot,
    get_process_status,
    get_taskid_from_url,
    get_url_from_taskid,
    process_has_failed,
    process_is_complete,
    process_is_pending,
    process_is_running,
    process_is_running_or_complete,
)
from .core.meta import META_OWNER as META_OWNER
from .core.meta import META_PAGE as META_PAGE
from .core.meta import META_PROGRESS as META_PROGRESS
from .core.meta import META_URL as META_URL
from .core.snapshot import Snapshot
from .core.states import State
from .core.wait import Wait
from .exceptions import (
    ImproperlyConfigured,
    ProcessFailed,
    QueueFull,
    RedisPermissionDenied,
    RedisRefused,
    RedisUnavailable,
    RQPollError,
    TooManyJobs,
)
from .progress import Progress, set_progress

__version__ = "0.1.0"

__all__ = [
    "ImproperlyConfigured",
    "ProcessFailed",
    "Progress",
    "QueueFull",
    "RQPollError",
    "RedisPermissionDenied",
    "RedisRefused",
    "RedisUnavailable",
    "Snapshot",
    "State",
    "StatusText",
    "TooManyJobs",
    "Wait",
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
    "set_progress",
]
