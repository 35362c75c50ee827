"""The package's errors: one base class, a few specific ones below it."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured as DjangoImproperlyConfigured


class RQPollError(Exception):
    """Base class of every error django-rq-poll raises on purpose."""


class ProcessFailed(RQPollError):
    """The job behind a polling URL or task id failed; ``error`` holds rq's error text."""

    def __init__(self, task_id: str, error: str) -> None:
        self.task_id = task_id
        self.error = error
        last_line = error.strip().splitlines()[-1] if error.strip() else "no error text"
        super().__init__(f"Process {task_id} failed: {last_line}")


class RedisUnavailable(RQPollError):
    """Redis could not be reached; the redis-py error is kept as ``__cause__``."""

    def __init__(self, where: str) -> None:
        self.where = where
        super().__init__(
            f"Redis is unreachable at {where}. Check that redis-server is running and that "
            "RQ_QUEUES points at it; nothing was started or changed."
        )


class ImproperlyConfigured(RQPollError, DjangoImproperlyConfigured):
    """The ``RQ_POLL`` setting or the queue setup cannot work."""
