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


class TooManyJobs(RQPollError):
    """The visitor already has ``RQ_POLL['MAX_ACTIVE_JOBS']`` jobs queued or running;
    nothing was started. Pages answer it with 429 and ``Retry-After``."""

    def __init__(self, visitor: str, limit: int) -> None:
        self.visitor = visitor
        self.limit = limit
        super().__init__(
            f"Visitor {visitor!r} already has {limit} jobs queued or running "
            "(RQ_POLL['MAX_ACTIVE_JOBS']); nothing was started. Try again once one has ended."
        )


class QueueFull(RQPollError):
    """The queue holds ``RQ_POLL['MAX_QUEUE_LENGTH']`` waiting jobs or more; nothing was
    started. Pages answer it with 503 and ``Retry-After``."""

    def __init__(self, queue: str, length: int, limit: int) -> None:
        self.queue = queue
        self.length = length
        self.limit = limit
        super().__init__(
            f"Queue {queue!r} holds {length} waiting jobs, the limit is {limit} "
            "(RQ_POLL['MAX_QUEUE_LENGTH']); nothing was started. Try again later, or add "
            "workers."
        )
