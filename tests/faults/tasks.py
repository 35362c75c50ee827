"""Tasks the fault tests hand to real workers."""

from __future__ import annotations

import os
from typing import Any

import redis

from tests.tasks import _redis, until_set, wait_for


def hold(key: str, timeout: float = 120) -> str:
    """Run until ``key`` is set; publish the work-horse's pid so a test can kill it."""
    return wait_for(key, timeout)


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


def unloadable_until(key: str) -> Any:
    """An unreadable result until the test sets ``key``, then a plain one."""
    return "readable now" if _redis().get(key) else _Unloadable()


def hold_as_admin(key: str, timeout: float = 120) -> str:
    """:func:`hold` whose own keys are written through another client than the job's.

    For the ACL test: the site's restricted user runs the job, while the test's
    signalling keys (``<key>``, ``<key>:started``) stay outside the permissions it proves.
    """
    conn = redis.Redis.from_url(os.environ["RQ_POLL_TEST_ADMIN_URL"])
    conn.set(f"{key}:started", 1)
    return until_set(conn, key, timeout)
