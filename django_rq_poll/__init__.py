"""django-rq-poll: run slow work in RQ; pages say "still running" until the result is ready."""

from __future__ import annotations

from . import aapi, api
from .aapi import *  # noqa: F403  (the names of aapi.__all__)
from .api import *  # noqa: F403  (the names of api.__all__)
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
    TaskError,
    TooManyJobs,
)
from .progress import Progress, set_progress

__version__ = "0.3.0.dev0"

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
    "TaskError",
    "TooManyJobs",
    "Wait",
    "set_progress",
]
__all__ += api.__all__
__all__ += aapi.__all__
