"""``rqpoll doctor`` on Django's tasks: does a worker run each ``TASKS`` backend's queues,
and does one run rq's scheduler there (``run_after`` needs it)?"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis
from rq import Worker
from rq.scheduler import RQScheduler

from ..drivers.backends import Backend
from .findings import Finding
from .taskchecks import ours

CHECK = "tasks"


def findings(backend_of: Callable[[str], Backend | None]) -> list[Finding]:
    """One finding per queue of each ``RQBackend`` in ``TASKS`` that this site configures
    and can reach (``backend_of`` answers ``None`` for the others; the system checks
    speak of a queue missing from ``RQ_QUEUES``)."""
    found: list[Finding] = []
    for alias, params in ours().items():
        for name in params.get("QUEUES", ["default"]):
            backend = backend_of(name)
            if backend is not None and backend.queue.is_async:
                found.append(_queue(alias, backend))
    return found


def _queue(alias: str, backend: Backend) -> Finding:
    queue = backend.queue
    where = f"TASKS[{alias!r}] sends tasks to the queue {queue.name!r}"
    try:
        workers = Worker.all(queue=queue)
        scheduler = backend.connection.exists(RQScheduler.get_locking_key(queue.name))
    except (redis.RedisError, ValueError) as exc:
        return Finding(
            CHECK, "problem", f"{where}; its workers cannot be listed: {exc}", queue.name
        )
    command = f"python manage.py rqworker {queue.name} --with-scheduler"
    if not workers:
        return Finding(
            CHECK,
            "problem",
            f"{where}, where no worker listens: they wait until one starts ({command}).",
            queue.name,
        )
    if not scheduler:
        return Finding(
            CHECK,
            "warning",
            f"{where}: no worker there runs rq's scheduler, so a task with run_after (or a "
            f"retry with an interval) never starts. Start one with --with-scheduler ({command}).",
            queue.name,
        )
    return Finding(CHECK, "ok", f"{where}: {len(workers)} worker(s), scheduler running", queue.name)


def reachable(backends: dict[str, Any], reached: set[Any]) -> Callable[[str], Backend | None]:
    """``backend_of`` for :func:`findings`: the configured queues on a reachable Redis."""

    def backend_of(name: str) -> Backend | None:
        found = backends.get(name)
        return found if found is not None and found.identity in reached else None

    return backend_of
