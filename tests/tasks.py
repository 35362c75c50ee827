"""Module-level tasks the tests hand to real workers."""

from __future__ import annotations

import os
import time
from typing import Any

import django_rq
import redis

from django_rq_poll import set_progress


def _redis() -> redis.Redis:
    return redis.Redis.from_url(os.environ["REDIS_URL"])


def add(x: int, y: int) -> int:
    return x + y


def counted_add(counter: str, x: int, y: int) -> int:
    """add() that counts its runs in a Redis key, to prove a result is not recomputed."""
    _redis().incr(counter)
    return x + y


def echo(value: Any) -> Any:
    return value


def fail(message: str = "boom") -> None:
    raise RuntimeError(message)


def sleep_for(seconds: float) -> str:
    time.sleep(seconds)
    return "slept"


def wait_for(key: str, timeout: float = 30) -> str:
    """Run until the test sets ``key``: a job held in the running state on demand.

    Publishes ``<key>:started`` and the work-horse's pid in ``<key>:pid`` (to kill it).
    """
    conn = _redis()
    conn.mset({f"{key}:started": 1, f"{key}:pid": os.getpid()})
    return until_set(conn, key, timeout)


def until_set(conn: Any, key: str, timeout: float) -> str:
    """Wait (in a job) until the test sets ``key`` through ``conn``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if conn.get(key):
            return "released"
        time.sleep(0.02)
    raise TimeoutError(f"{key} was never set")


def report(steps: int) -> str:
    for step in range(1, steps + 1):
        set_progress(step, steps, f"step {step} of {steps}")
    return "done"


def unstorable() -> Any:
    import threading

    return threading.Lock()


@django_rq.job("default")
def decorated_add(x: int, y: int) -> int:
    return x + y


class Holder:
    @staticmethod
    def static_add(x: int, y: int) -> int:
        return x + y


def owner_of(label: str) -> str:
    """A result that says whose it is, to prove users never see each other's."""
    return f"for {label}"


def report_then_wait(key: str, steps: int = 4) -> str:
    """Report progress, then hold the running state until the test sets ``key``."""
    set_progress(2, steps, f"step 2 of {steps}")
    return wait_for(key)


def report_values(*reports: tuple[Any, ...]) -> str:
    """Call set_progress with each tuple of arguments as given (even invalid ones)."""
    for args in reports:
        set_progress(*args)
    return "reported"


def refuse_politely(reason: str) -> None:
    """A failure the task explains to whoever asked (TaskError's message)."""
    from django_rq_poll import TaskError

    raise TaskError(reason)


def report_states(steps: list[list[Any]]) -> None:
    """Celery's ``update_state`` called with each ``[state, meta]`` of ``steps``, in turn."""
    from django_rq_poll.compat.celery_tasks import update_state

    for state, meta in steps:
        update_state(state=state, meta=meta)
