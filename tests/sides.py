"""The package seen through its async twins, for tests that run on both sides.

A test module marked ``pytestmark = pytest.mark.usefixtures("side")`` runs each test
twice: once as written, and once with its global ``poll`` replaced by :class:`AsyncSide`,
whose functions are the async twins (``aget_process_status`` for ``get_process_status``
...) run to completion. A difference between the two is a bug, not a style.
"""

from __future__ import annotations

import inspect
from typing import Any

from asgiref.sync import async_to_sync

import django_rq_poll


class AsyncSide:
    def __getattr__(self, name: str) -> Any:
        twin = getattr(django_rq_poll, f"a{name}", None)
        if twin is not None and inspect.iscoroutinefunction(twin):
            return async_to_sync(twin)
        return getattr(django_rq_poll, name)
