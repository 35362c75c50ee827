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


class RedisPermissionDenied(RedisUnavailable):
    """Redis refused a command, key or channel to the ACL user: a deployment error.

    A subclass of :class:`RedisUnavailable`, so pages answer it with their 503 page (and
    log it) rather than a 500; ``missing`` names what was refused.
    """

    def __init__(self, where: str, missing: str, detail: str) -> None:
        self.where = where
        self.missing = missing
        self.detail = detail
        Exception.__init__(
            self,
            f"Redis at {where} refused {missing} to this ACL user ({detail}). Grant the "
            "permissions listed in the deployment docs; `manage.py rqpoll doctor` checks them.",
        )


class ImproperlyConfigured(RQPollError, DjangoImproperlyConfigured):
    """The ``RQ_POLL`` setting or the queue setup cannot work."""
