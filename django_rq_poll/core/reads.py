"""Reading a job: the lookup, the state alone, a queued job's place. Programs (:mod:`.ops`).

One script call answers each; a finished job whose result this process has not read yet
is read back once, so that a result it cannot read makes the job failed for every caller
(state checks, pages, ``check_status_or_begin``), not only for the result's reader.
"""

from __future__ import annotations

from . import keys, rqlayout, snapshot
from .home import Home
from .ops import Command, Program, Script
from .snapshot import Snapshot
from .states import State, from_rq_status
from .wait import Wait


def _lookup_op(
    home: Home, polling_url: str | None, task_id: str | None, flags: bytes
) -> Script | None:
    """The lookup script's call, or ``None`` for an id that cannot be a job's."""
    sha, source = home.lookup_script
    if polling_url is not None:
        return Script(sha, source, (b"1", keys.url_key_bytes(polling_url), flags))
    if keys.is_valid_job_id(task_id):
        return Script(sha, source, (b"0", flags, task_id))
    return None


def lookup(
    home: Home,
    polling_url: str | None,
    task_id: str | None,
    *,
    result: bool = False,
    meta: bool = False,
) -> Program[Snapshot | None]:
    """The job a URL (or, without one, an id) names: state, and result and meta if asked."""
    op = _lookup_op(home, polling_url, task_id, snapshot.flags(result, meta))
    if op is None:
        return None
    raw = yield op
    if not snapshot.is_job(raw):  # no mapping, or the job is gone
        return None
    snap = snapshot.decode(raw, meta, home.serializer_of)
    if not result and snap.rq_status == "finished" and not snapshot.was_read_back(raw):
        return (yield from _read_back(home, snap.task_id, meta))
    return snap


def state(home: Home, polling_url: str | None, task_id: str | None) -> Program[State | None]:
    """Just the state: the same script call, reading only its first fields."""
    op = _lookup_op(home, polling_url, task_id, b"")
    if op is None:
        return None
    raw = yield op
    if not snapshot.is_job(raw):
        return None
    found_id, rq_status, abandoned = snapshot.head_state(raw)
    if abandoned:
        return State.FAILED
    if rq_status == "finished" and not snapshot.was_read_back(raw):
        snap = yield from _read_back(home, found_id, False)
        return snap.state if snap is not None else None
    return from_rq_status(rq_status)


def _read_back(home: Home, task_id: str, meta: bool) -> Program[Snapshot | None]:
    snap = yield from lookup(home, None, task_id, result=True, meta=meta)
    return snap._replace(return_value=None) if snap is not None else None


def wait(home: Home, task_id: str, queue_name: str | None, rq_status: str) -> Program[Wait | None]:
    """The queue's view of a job in rq status ``queued`` (its place, the queue's
    workers); ``None`` for any other status or a queue this site does not configure.

    LPOS, and SMEMBERS as rq's ``Worker.count`` reads it (the documented ACL covers
    both); the count is reused for a moment (pages polled by many ask once).
    """
    queue = home.other(queue_name or None) if rq_status == "queued" else None
    if queue is None:
        return None
    index = yield Command(("LPOS", queue.queue.key, task_id))
    count = queue.remembered_worker_count()
    if count is None:
        members = yield Command(("SMEMBERS", rqlayout.workers_key(queue.queue.name)))
        count = queue.remember_worker_count(len(members))
    position = index + 1 if isinstance(index, int) else None
    return Wait(queue.queue.name, position, count)
