"""Reading Redis as the package does, for tests that look behind the public API."""

from __future__ import annotations

from typing import Any

from django_rq_poll.core import keys, reads
from django_rq_poll.drivers import backends


def lookup(polling_url: str | None, task_id: str | None, **flags: Any) -> Any:
    """The snapshot one lookup gives (the sync driver, the default queue)."""
    home = backends.backend()
    return home.run(reads.lookup(home, polling_url, task_id, **flags))


def mapped(polling_url: str) -> str | None:
    """The raw URL mapping: the id it points at, whether or not that job exists."""
    value = backends.backend().connection.get(keys.url_key(polling_url))
    return value.decode() if value is not None else None


def state(polling_url: str | None, task_id: str | None) -> Any:
    """The state alone, as the state checks read it."""
    home = backends.backend()
    return home.run(reads.state(home, polling_url, task_id))
