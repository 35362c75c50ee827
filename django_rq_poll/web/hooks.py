"""Small helpers for views whose hooks may be sync or async."""

from __future__ import annotations

import inspect
from typing import Any

from django.http import HttpRequest


def close_unawaited(awaitable: Any) -> None:
    """Close a coroutine that will not be awaited (no "never awaited" warning on top)."""
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()


async def maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def auser(request: HttpRequest) -> Any:
    """The request's user, loaded without blocking (``None`` without auth middleware)."""
    found = getattr(request, "auser", None)
    return await found() if found is not None else None
