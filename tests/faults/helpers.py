"""Small helpers shared by the fault tests."""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable
from typing import Any

import redis
from rq.job import Job

from django_rq_poll.core import keys

# An append-only file fsynced on every write: what the server acknowledged survives a
# SIGKILL, as on a production server with persistence.
DURABLE = ("--appendonly", "yes", "--appendfsync", "always")


def wait_until(predicate: Callable[[], object], timeout: float = 20, step: float = 0.05) -> None:
    """Liveness only (a bound on how long to wait), never a speed assertion."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached within {timeout} s")
        time.sleep(step)


def durable_server(private_redis: Callable[..., Any]) -> Any:
    return private_redis(*DURABLE, data_dir=tempfile.mkdtemp(prefix="rq-poll-aof-"))


def mappings_point_at_enqueued_jobs(conn: redis.Redis) -> list[str]:
    """Mappings whose job does not exist, or exists without ever having been enqueued."""
    queued = {m.decode() for m in conn.lrange("rq:queue:default", 0, -1)}
    bad = []
    for key in conn.scan_iter(match=keys.url_key_pattern()):
        task_id = (conn.get(key) or b"").decode()
        status = conn.hget(Job.key_for(task_id), "status")
        if status is None or (status == b"queued" and task_id not in queued):
            bad.append(f"{key.decode()} -> {task_id} ({status})")
    return bad


# (began, ended, up afterwards): a moment the server was being killed or started again.
Transition = tuple[float, float, bool]


def kill_repeatedly(
    server: Any,
    tally: Any,
    kind: str,
    *,
    seed: int,
    most_gap: float,
    transitions: list[Transition] | None = None,
) -> None:
    """Kill the server 4 times at random moments (while a test thread uses it), restarting
    it 0.2 s later each time, then give the thread a moment on the live server.

    ``transitions`` receives when each kill and each restart began and ended (monotonic
    clock), so that :func:`server_was` can tell what any call must have answered.
    """
    log = transitions if transitions is not None else []
    rng = random.Random(seed)
    for _ in range(4):
        time.sleep(rng.uniform(0.2, most_gap))
        began = time.monotonic()
        server.stop()
        log.append((began, time.monotonic(), False))
        tally.fault(kind)
        time.sleep(0.2)
        began = time.monotonic()
        server.start()  # returns once the server answers PING
        log.append((began, time.monotonic(), True))
    time.sleep(0.3)


def server_was(transitions: list[Transition], began: float, ended: float) -> bool | None:
    """Whether the server was up (True) or down (False) for all of [began, ended]; ``None``
    when a kill or a restart overlapped it, so that either answer is right."""
    up = True
    for t_began, t_ended, up_after in transitions:
        if t_ended < began:
            up = up_after
        elif t_began <= ended:
            return None
    return up
