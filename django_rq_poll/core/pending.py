"""Jobs begun inside ``transaction.atomic()`` that wait for the commit to be enqueued.

django-rq's default commit mode enqueues on commit. Until then the job does not exist
in Redis, yet the caller already holds its id: lookups from the same thread answer
"pending" for it, and a second begin for the same URL finds it instead of starting
another. An entry lives exactly as long as its on-commit callback is registered with
the connection: a commit runs it (and enqueues the job), a rollback of the transaction
or of the savepoint it was begun in drops it, and the entry with it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection

_local = threading.local()

Entry = tuple[str | None, Callable[[], None]]


def _entries() -> dict[str, Entry]:
    entries: dict[str, Entry] | None = getattr(_local, "entries", None)
    if entries is None:
        entries = _local.entries = {}
    if entries:
        # Django drops the callbacks of rolled-back transactions and savepoints and
        # empties the list on commit: an entry without its callback is dead.
        registered = {id(item[1]) for item in connection.run_on_commit}
        for task_id in [t for t, (_, cb) in entries.items() if id(cb) not in registered]:
            del entries[task_id]
    return entries


def add(task_id: str, polling_url: str | None, on_commit: Callable[[], None]) -> None:
    """Remember a job whose ``on_commit`` callback is registered already."""
    _entries()[task_id] = (polling_url, on_commit)


def discard(task_id: str) -> None:
    entries: dict[str, Entry] | None = getattr(_local, "entries", None)
    if entries:
        entries.pop(task_id, None)


def find(polling_url: str | None, task_id: str | None) -> str | None:
    """The pending task id that answers this URL or id, if any."""
    if not getattr(_local, "entries", None):
        return None
    entries = _entries()
    if task_id is not None:
        return task_id if task_id in entries else None
    for pending_id, (url, _) in entries.items():
        if url is not None and url == polling_url:
            return pending_id
    return None
