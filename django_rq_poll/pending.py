"""Jobs begun inside ``transaction.atomic()`` that wait for the commit to be enqueued.

django-rq's default commit mode enqueues on commit. Until then the job does not exist
in Redis, yet the caller already holds its id: lookups from the same thread answer
"pending" for it, and a second begin for the same URL finds it instead of starting
another. Entries die with the transaction (commit enqueues them, rollback drops them).
"""

from __future__ import annotations

import threading

from django.db import connection

_local = threading.local()


def _entries() -> dict[str, str | None]:
    entries: dict[str, str | None] | None = getattr(_local, "entries", None)
    if entries is None:
        entries = _local.entries = {}
    if entries and not connection.in_atomic_block:
        entries.clear()  # the transaction is over; committed ones exist in Redis now
    return entries


def add(task_id: str, polling_url: str | None) -> None:
    _entries()[task_id] = polling_url


def discard(task_id: str) -> None:
    _entries().pop(task_id, None)


def find(polling_url: str | None, task_id: str | None) -> str | None:
    """The pending task id that answers this URL or id, if any."""
    entries = getattr(_local, "entries", None)
    if not entries:
        return None
    entries = _entries()
    if task_id is not None:
        return task_id if task_id in entries else None
    for pending_id, url in entries.items():
        if url is not None and url == polling_url:
            return pending_id
    return None
