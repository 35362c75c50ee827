"""The package's errors: one base class, a few specific ones below it."""

from __future__ import annotations

import re

from django.core.exceptions import ImproperlyConfigured as DjangoImproperlyConfigured


class RQPollError(Exception):
    """Base class of every error django-rq-poll raises on purpose."""


class ProcessFailed(RQPollError):
    """The job behind a polling URL or task id failed.

    Its text is the task's own message (``"the polygon is too small"``), without a job
    id or a module path. ``task_id`` names the job, ``error`` holds rq's whole error
    text (the traceback, for staff), ``exc_type`` the exception's name as the traceback
    ends with it (``"seak.marxan.MarxanError"``, ``"ValueError"``; ``None`` when the
    text names none) and ``message`` its message.
    """

    def __init__(self, task_id: str, error: str) -> None:
        self.task_id = task_id
        self.error = error
        self.exc_type, self.message = last_exception(error)
        super().__init__(self.message or self.exc_type or "The job failed with no error text.")


# The line a traceback ends with: the exception's dotted name, then ": message" if any.
_HEADER = re.compile(r"([A-Za-z_][\w.]*)(?:: (.*))?")


def last_exception(error: str) -> tuple[str | None, str]:
    """``(exception name, message)`` of the exception an error text ends with.

    rq stores ``traceback.format_exception``'s text: frames are indented, and the raised
    exception's ``name: message`` (the message may span lines) follows the last frame; an
    exception group's lines are prefixed with ``"  | "``. A text that is no traceback
    (``"The job ended with status 'stopped'."``) is all message; of one that names no
    exception where it ends, the last line is (never the traceback: apps show this text).
    """
    lines = error.strip().splitlines()
    group = [line[4:] for line in lines if line.startswith("  | ")]
    for candidate in (lines, group):
        found = _raised(candidate)
        if found is not None:
            return found
    return None, lines[-1].strip() if lines else ""


def _raised(lines: list[str]) -> tuple[str, str] | None:
    for at in range(len(lines) - 1, -1, -1):
        header = _HEADER.fullmatch(lines[at])
        after_frames = at == 0 or lines[at - 1].startswith((" ", "Traceback (most recent"))
        if header is not None and after_frames:
            message = "\n".join([header.group(2) or "", *lines[at + 1 :]]).strip()
            return header.group(1), message
    return None


class TaskError(RQPollError):
    """Raise it in a task for a failure whose message any visitor may read ("The polygon
    is too small."): the failure page shows it to everyone, while tracebacks stay for
    staff. Only this class is recognised (not subclasses): the page reads the message
    back from the job's stored error text, never importing what that text names."""


class RedisUnavailable(RQPollError):
    """Redis cannot serve us now: unreachable, out of memory, read-only, busy, loading.

    ``reason`` says which, in Redis' words; the redis-py error is kept as ``__cause__``.
    Pages answer it with 503 and ``Retry-After``.
    """

    def __init__(self, where: str, reason: str = "") -> None:
        self.where = where
        self.reason = reason
        if reason:
            text = (
                f"Redis at {where} cannot serve requests right now ({reason}). "
                "Try again later; nothing was started or changed."
            )
        else:
            text = (
                f"Redis is unreachable at {where}. Check that redis-server is running and that "
                "RQ_QUEUES points at it; nothing was started or changed."
            )
        super().__init__(text)


class RedisRefused(RedisUnavailable):
    """Redis refused a command in a way that waiting will not fix: a missing ACL
    permission, a key of the wrong type (another program writes under the same
    prefix), a failing script. The message names the cause; pages answer it like an
    outage (503), and log it as an error for the operators.
    """

    def __init__(self, where: str, reason: str, advice: str) -> None:
        self.where = where
        self.reason = reason
        self.advice = advice
        RQPollError.__init__(self, f"Redis at {where} refused a command: {reason}. {advice}")


class RedisPermissionDenied(RedisRefused):
    """Redis refused a command, key or channel to the ACL user: a deployment error.

    A :class:`RedisRefused` (so a :class:`RedisUnavailable`): pages answer it with their
    503 page and log it as an error, rather than a 500; ``missing`` names what was refused.
    """

    def __init__(self, where: str, missing: str, detail: str) -> None:
        self.where = where
        self.missing = missing
        self.detail = detail
        self.reason = f"refused {missing} to this ACL user ({detail})"
        self.advice = "Grant the permissions listed in the deployment docs."
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
