"""What this package knows of rq's keys and writes: the one place it leans on rq's insides.

rq offers no public way to do three things this package needs, and they are done here
only:

- rq's key prefixes, which the scripts read (taken from rq's own classes, never spelled);
- rq writes a job only through its synchronous API, so its enqueue is *recorded*
  (:class:`Recorder`: redis-py's command methods, whose ``execute_command`` keeps the
  command instead of sending it) and sent by a driver inside the start's transaction;
- rq stamps each job with the server's version, which it would read with a blocking
  ``INFO`` on first use: :func:`needs_version` / :func:`stamp_version` let a program
  read it as an operation first (the queue's ``redis_server_version`` attribute).
"""

from __future__ import annotations

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


def enqueue_commands(queue: Queue, job: Job) -> Commands:
    """rq's commands enqueueing ``job`` on ``queue`` (an asynchronous queue), unsent."""
    recorder = Recorder()
    queue.enqueue_job(job, pipeline=recorder)  # type: ignore[arg-type]  # quacks like one
    return recorder.commands


def needs_version(queue: Queue) -> bool:
    return not queue.redis_server_version  # None until rq or stamp_version sets it


def stamp_version(queue: Queue, info: dict[str, Any]) -> None:
    """Give rq the server's version from an ``INFO server`` reply read by a driver.

    A version that is missing (``"None"``) or holds no number stamps ``(0, 0, 0)``."""
    parts = [int(p) for p in str(info.get("redis_version")).split(".") if p.isdigit()]
    major, minor, patch = (*parts, 0, 0, 0)[:3]
    queue.redis_server_version = (major, minor, patch)
