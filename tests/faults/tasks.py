"""Tasks the fault tests hand to real workers."""

from __future__ import annotations

import os
import time
from typing import Any

import redis


def _redis() -> redis.Redis:
    return redis.Redis.from_url(os.environ["REDIS_URL"])


def hold(key: str, timeout: float = 120) -> str:
    """Run until ``key`` is set; publish the work-horse's pid so a test can kill it."""
    conn = _redis()
    conn.set(f"{key}:pid", os.getpid())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if conn.get(key):
            return "released"
        time.sleep(0.02)
    raise TimeoutError(f"{key} was never set")


def double(x: int) -> int:
    return 2 * x


class _Unloadable:
    """Pickles fine in the worker, cannot be unpickled anywhere."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_refuse, ())


def _refuse() -> None:
    raise RuntimeError("this value cannot be unpickled")


def unloadable() -> Any:
    return _Unloadable()
