"""Tasks the fault tests hand to real workers."""

from __future__ import annotations

from typing import Any

from tests.tasks import _redis, wait_for


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
