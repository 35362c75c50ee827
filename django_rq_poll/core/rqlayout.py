"""What this package knows of rq's keys and writes: the one place it leans on rq's insides.

rq offers no public way to do three things this package needs, and they are done here
only:

- rq's key prefixes, which the scripts read (taken from rq's own classes, never spelled);
- rq writes a job only through its synchronous API, so its enqueue is *recorded*
  (:class:`Recorder`: redis-py's command methods, whose ``execute_command`` keeps the
  command instead of sending it) and sent by a driver inside the start's transaction;
- a job waiting in the queue is replaced by deleting it as rq's ``Job.delete`` would
  (:func:`delete_queued_commands`), and told apart from its replacement by its stored
  call (:func:`same_call`: bytes compared, never unpickled);
- rq stamps each job with the server's version, which it would read with a blocking
  ``INFO`` on first use: :func:`needs_version` / :func:`stamp_version` let a program
  read it as an operation first (the queue's ``redis_server_version`` attribute).
"""

from __future__ import annotations

import zlib
from datetime import datetime
from typing import Any

from redis.commands import CoreCommands
from rq.executions import ExecutionRegistry
from rq.job import Job
from rq.queue import Queue
from rq.registry import StartedJobRegistry
from rq.results import Result
from rq.worker_registration import WORKERS_BY_QUEUE_KEY

PREFIXES = {
    "job": Job.redis_job_namespace_prefix,
    "results": Result.get_key(""),  # type: ignore[no-untyped-call]
    "executions": ExecutionRegistry.key_template.format(""),
    "wip": StartedJobRegistry.key_template.format(""),
}


def results_key(task_id: str) -> str:
    """rq's stream of a job's results (``Job.delete`` leaves it behind)."""
    return str(PREFIXES["results"]) + task_id


def queue_key(queue_name: str) -> str:
    """rq's list of a queue's waiting job ids."""
    return str(Queue.redis_queue_namespace_prefix) + queue_name


def job_key(task_id: str) -> str:
    """rq's hash of a job."""
    return str(Job.key_for(task_id))


def same_call(stored: bytes | None, job: Job) -> bool:
    """Whether a job hash's ``data`` field (rq stores it zlib-compressed) is ``job``'s
    call: the same function with the same serialized arguments. Compared as bytes, never
    unpickled, and never inflated past the new call's length plus one byte (a field
    written to inflate to gigabytes costs nothing here)."""
    if stored is None:
        return False
    data: bytes = job.data
    try:
        call = zlib.decompressobj().decompress(stored, len(data) + 1)
    except zlib.error:  # rq reads an uncompressed field as it is, and so does this
        call = stored
    return call == data


def delete_queued_commands(queue_name: str, task_id: str) -> Commands:
    """What rq's ``Job.delete`` sends for a job waiting in its queue (unsent): out of the
    queue list, then its hash and its dependency sets. A queued job is in no registry
    and has no executions or results yet."""
    return [(("LREM", queue_key(queue_name), 1, task_id), {}), *_delete_hash(task_id)]


def replace_queued_commands(queue: Queue, job: Job, old_id: str, index: int) -> Commands:
    """rq's enqueue of ``job`` in the place of the queued job ``old_id``, at ``index`` of
    the same queue's list: rq's push to the end becomes an ``LSET`` of that place (an
    edit keeps its turn), and the old job's hash goes as :func:`delete_queued_commands`
    would delete it. The caller has watched the list, so the index still holds."""
    commands = enqueue_commands(queue, job)
    for at, (args, _options) in enumerate(commands):
        if args[:1] == ("RPUSH",) and args[1:] == (queue.key, job.id):
            commands[at] = (("LSET", queue.key, index, job.id), {})
            return commands + _delete_hash(old_id)
    # rq pushed otherwise (it pushes with RPUSH): its push stands, the old job leaves
    return commands + delete_queued_commands(queue.name, old_id)


def _delete_hash(task_id: str) -> Commands:
    key = job_key(task_id)
    return [(("DEL", key, Job.dependents_key_for(task_id), _dependencies_key(task_id)), {})]


def _dependencies_key(task_id: str) -> str:
    # As rq spells it (Job.dependencies_key): with two colons after the prefix.
    return f"{Job.redis_job_namespace_prefix}:{task_id}:dependencies"


def workers_key(queue_name: str) -> str:
    """rq's set of the workers registered on a queue (what ``Worker.count`` reads)."""
    return WORKERS_BY_QUEUE_KEY % queue_name


Commands = list[tuple[tuple[Any, ...], dict[str, Any]]]


class Recorder(CoreCommands):
    """Stands in for a pipeline in rq's enqueue: keeps each command, sends nothing."""

    _event_dispatcher: Any = None  # redis-py's client attribute; nothing is sent to dispatch
    # rq checks that a pipeline it is given is in MULTI (it calls multi() otherwise):
    # what is recorded is sent inside MULTI/EXEC by the driver.
    explicit_transaction = True

    def __init__(self) -> None:
        self.commands: Commands = []

    def execute_command(self, *args: Any, **options: Any) -> Recorder:
        self.commands.append((args, options))
        return self


def enqueue_commands(queue: Queue, job: Job, run_at: datetime | None = None) -> Commands:
    """rq's commands enqueueing ``job`` on ``queue`` (an asynchronous queue), unsent;
    with ``run_at``, scheduling it instead (rq's scheduled registry, which a worker
    started ``--with-scheduler`` moves to the queue when the time comes)."""
    if run_at is not None:
        return schedule_commands(queue, job, run_at)
    recorder = Recorder()
    at_front = bool(job.enqueue_at_front)
    queue.enqueue_job(job, pipeline=recorder, at_front=at_front)  # type: ignore[arg-type]
    return recorder.commands


def schedule_commands(queue: Queue, job: Job, run_at: datetime) -> Commands:
    """rq's ``schedule_job`` recorded: its registry ignores the pipeline it is given and
    writes through the queue's connection, so the queue is rebuilt on the recorder."""
    recorder = Recorder()
    shadow = type(queue)(
        queue.name,
        connection=recorder,  # type: ignore[arg-type]
        serializer=queue.serializer,
        job_class=queue.job_class,
    )
    shadow.schedule_job(job, run_at, pipeline=recorder)  # type: ignore[arg-type]
    return recorder.commands


def needs_version(queue: Queue) -> bool:
    return not queue.redis_server_version  # None until rq or stamp_version sets it


def stamp_version(queue: Queue, info: dict[str, Any]) -> None:
    """Give rq the server's version from an ``INFO server`` reply read by a driver.

    A version that is missing (``"None"``) or holds no number stamps ``(0, 0, 0)``."""
    parts = [int(p) for p in str(info.get("redis_version")).split(".") if p.isdigit()]
    major, minor, patch = (*parts, 0, 0, 0)[:3]
    queue.redis_server_version = (major, minor, patch)
