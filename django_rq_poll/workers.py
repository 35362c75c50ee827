"""What a page can tell about the workers behind a job.

A queued job's place in its queue and how many workers listen on that queue; for
staff, the ``rqworker`` command that would serve the queue, and whether a failure was
a worker that could not read the job (started without the queue's ``--serializer``).
Only queued jobs cost anything here, through rq's public API
(``Queue.get_job_position``, ``Worker.count``).
"""

from __future__ import annotations

import types
from dataclasses import dataclass

from django.utils.translation import gettext

from . import aread, store
from .conf import conf
from .exceptions import ImproperlyConfigured

# The last line of a worker's traceback when it could not read the job it took.
DESERIALIZATION_ERROR = "rq.exceptions.DeserializationError"
# What django-rq's rqworker uses when no --serializer is given.
RQ_DEFAULT_SERIALIZER = "rq.serializers.DefaultSerializer"


@dataclass(frozen=True)
class Wait:
    """A queued job as its queue sees it."""

    #: The queue's name.
    queue: str
    #: Its place in the queue, 1 for the next job a worker takes; ``None`` once it has
    #: left the queue's list (a worker is taking it).
    position: int | None
    #: Workers registered on the queue (rq drops a killed worker's entry only at its
    #: next clean-up, so a count above 0 may include one that has just died).
    workers: int


def _backend(queue_name: str | None) -> store.Backend | None:
    try:
        return store.backend(queue_name or None)
    except ImproperlyConfigured:  # a job from a queue this site does not configure
        return None


def _queued_on(queue_name: str | None, rq_status: str) -> store.Backend | None:
    """The backend of a queued job's queue; ``None`` for any other status, or a queue
    this site does not configure."""
    return _backend(queue_name) if rq_status == "queued" else None


def wait_of(task_id: str, queue_name: str | None, rq_status: str) -> Wait | None:
    """The queue's view of a job in rq status ``queued``; ``None`` for any other status.

    Raises :class:`~django_rq_poll.exceptions.RedisUnavailable` like every Redis read.
    """
    backend = _queued_on(queue_name, rq_status)
    if backend is None:
        return None
    return Wait(backend.queue.name, backend.queue_position(task_id), backend.worker_count())


async def await_of(
    task_id: str, queue_name: str | None, rq_status: str, reader: aread.Reader | None = None
) -> Wait | None:
    """:func:`wait_of`, awaited on ``redis.asyncio`` (``reader``: default, the event
    loop's; push's hub passes its own, to keep to its one lookup connection)."""
    backend = _queued_on(queue_name, rq_status)
    if backend is None:
        return None
    reader = reader if reader is not None else aread.reader()
    position, count = await reader.queue_facts(backend, task_id)
    return Wait(backend.queue.name, position, count)


def serializer_path(queue_name: str | None) -> str:
    """The dotted path of the queue's serializer, as ``rqworker --serializer`` takes it."""
    backend = _backend(queue_name)
    serializer = backend.serializer if backend is not None else None
    if serializer is None:
        return RQ_DEFAULT_SERIALIZER
    if isinstance(serializer, types.ModuleType):
        return serializer.__name__
    kind = serializer if isinstance(serializer, type) else type(serializer)
    path = f"{kind.__module__}.{kind.__qualname__}"
    return RQ_DEFAULT_SERIALIZER if path == "rq.serializers.DefaultSerializer" else path


def rqworker_command(queue_name: str) -> str:
    """The command that starts a worker able to read the queue's jobs."""
    command = f"python manage.py rqworker {queue_name}"
    path = serializer_path(queue_name)
    return command if path == RQ_DEFAULT_SERIALIZER else f"{command} --serializer {path}"


def no_worker_notice(wait: Wait | None) -> str | None:
    """For staff: the job waits for a worker that is not there, and how to start one."""
    if wait is None or wait.workers > 0:
        return None
    return gettext(
        "No worker is listening on the queue “%(queue)s”, so this job waits until one "
        "starts. Start one with: %(command)s"
    ) % {"queue": wait.queue, "command": rqworker_command(wait.queue)}


def unreadable_job_notice(error: str | None, queue_name: str) -> str | None:
    """For staff: the worker could not read the job it took (rq's DeserializationError)."""
    lines = (error or "").strip().splitlines()
    if not lines or not lines[-1].strip().startswith(DESERIALIZATION_ERROR):
        return None
    queue = queue_name or conf.QUEUE
    return gettext(
        "The worker could not read this job: it was started without the serializer of "
        "the queue “%(queue)s” (%(serializer)s), or without the code of the job's "
        "arguments. Start its workers with: %(command)s"
    ) % {
        "queue": queue,
        "serializer": serializer_path(queue),
        "command": rqworker_command(queue),
    }
