"""What staff are told about the workers behind a job.

For a job waiting with no worker on its queue, the ``rqworker`` command that would serve
it; for a failure that was a worker unable to read the job (started without the queue's
``--serializer``), the command that can.
"""

from __future__ import annotations

import types

from django.utils.translation import gettext

from ..conf import conf
from ..core.wait import Wait
from ..drivers import backends
from ..exceptions import ImproperlyConfigured

# The last line of a worker's traceback when it could not read the job it took.
DESERIALIZATION_ERROR = "rq.exceptions.DeserializationError"
# What django-rq's rqworker uses when no --serializer is given.
RQ_DEFAULT_SERIALIZER = "rq.serializers.DefaultSerializer"


def _serializer(queue_name: str | None) -> object:
    try:
        return backends.backend(queue_name or None).serializer
    except ImproperlyConfigured:  # a job from a queue this site does not configure
        return None


def dotted_path(serializer: object) -> str:
    """A serializer's dotted path, as ``rqworker --serializer`` takes it: a module's name,
    a class's path, an instance's class (``None``: rq's default)."""
    if serializer is None:
        return RQ_DEFAULT_SERIALIZER
    if isinstance(serializer, types.ModuleType):
        return serializer.__name__
    kind = serializer if isinstance(serializer, type) else type(serializer)
    return f"{kind.__module__}.{kind.__qualname__}"


def serializer_path(queue_name: str | None) -> str:
    """The dotted path of the queue's serializer, as ``rqworker --serializer`` takes it."""
    return dotted_path(_serializer(queue_name))


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
