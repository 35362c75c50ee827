"""Module-level Django tasks the tests hand to real workers (``rqworker``)."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import redis

from django_rq_poll import set_progress
from django_rq_poll.backends.compat import task


def _redis() -> redis.Redis:
    return redis.Redis.from_url(os.environ["REDIS_URL"])


@task
def add(x: int, y: int) -> int:
    return x + y


@task
def echo(value: Any) -> Any:
    return value


@task
def fail(message: str) -> None:
    raise ValueError(message)


@task(takes_context=True)
def whoami(context: Any, label: str) -> dict[str, Any]:
    result = context.task_result
    return {
        "label": label,
        "attempt": context.attempt,
        "id": result.id,
        "status": str(result.status),
        "workers": result.worker_ids,
        "backend": result.backend,
    }


@task(backend="retrying", takes_context=True)
def flaky(context: Any, succeed_on: int) -> int:
    """Fails until its attempt number reaches ``succeed_on`` (the backend retries twice)."""
    if context.attempt < succeed_on:
        raise RuntimeError(f"attempt {context.attempt} fails")
    return int(context.attempt)


@task
async def async_add(x: int, y: int) -> int:
    await asyncio.sleep(0)
    return x + y


@task
def returns_a_set() -> Any:
    return {1, 2}


@task
def held(key: str) -> str:
    """Runs until the test pushes to ``key`` (so the test sees it running)."""
    set_progress(1, 2, "holding")
    _redis().set(f"{key}:pid", os.getpid())
    found = _redis().blpop([key], timeout=60)
    return found[1].decode() if found else "timed out"


@task(priority=50)
def urgent(label: str) -> str:
    return label


@task(queue_name="other")
def add_elsewhere(x: int, y: int) -> int:
    return x + y
