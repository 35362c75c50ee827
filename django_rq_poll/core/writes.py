"""Changing jobs: the atomic start, the slot of a job begun in a transaction, settling,
forgetting and canceling. Programs (:mod:`.ops`), one for both drivers.

The start is one optimistic transaction: WATCH the URL's mapping and the visitor's set,
read both with the read-only admit script, then enqueue (rq's own commands, recorded by
:mod:`.rqlayout`), map and count in MULTI/EXEC. Of any number of racers exactly one
commits per free slot; the others see :class:`~.ops.Conflict`, read again and find it.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from rq.job import Job

from ..conf import RQ_DEFAULT_RESULT_TTL, conf
from ..exceptions import RedisRefused
from . import keys, limits, reads, rqlayout, scripts
from .home import Home
from .limits import Admission
from .ops import Blocking, Command, Conflict, Exec, Program, Unwatch, Watch
from .plan import Plan
from .snapshot import Snapshot, keeps


def start(
    plan: Plan, *, replace: bool, replace_queued: bool = False, made: Job | None = None
) -> Program[tuple[Snapshot | None, Job | None]]:
    """Start a job, unless (without ``replace``) one in progress or finished answers the
    URL, or the visitor of ``plan.gate`` is over a limit (raises). Returns ``(snapshot,
    None)`` for a job found, ``(None, job)`` for the job started.

    With ``replace_queued``, a job found still waiting in its queue whose call (function
    and serialized arguments) differs from the plan's is deleted and the new one enqueued
    in its place in the queue list (or on another queue, if the plan names one) and
    mapped, in the same transaction. That transaction also WATCHes the old job's
    queue list and hash, which a worker taking it changes: then EXEC fails, the next
    round finds the job started, and keeps it. An identical call keeps the queued job.

    ``made`` is a job begun in a transaction that django-rq enqueues on commit, started
    here at the commit: its limits were checked, and its slot reserved, when it was begun.
    (Not started when the URL's job is then running, or queued with the same call.)
    """
    home, gate = plan.home, plan.gate
    key = keys.url_key(plan.polling_url) if plan.polling_url is not None else None
    visitor = keys.visitor_key(gate.visitor) if gate is not None else None
    watched = tuple(k for k in (None if replace else key, visitor) if k is not None)
    yield from _know_version(home)
    if not watched:  # begin_process without limits: nothing to check
        new = plan.make_job()
        yield from enqueue(plan, new, checked=False)
        return None, new
    job = made
    old: tuple[str, ...] = ()  # the queued job to replace: its queue's name and its id
    while True:
        yield Watch(watched + _old_keys(old))
        try:
            seen = yield from _admission(home, key or "", gate)
            place: int | None = None  # the old job's index in its queue, to replace it
            if seen.mapped and not replace:
                current = yield from reads.lookup(home, plan.polling_url, None)
                if current is not None and keeps(current):
                    if replace_queued and current.rq_status == "queued":
                        found = (current.origin or home.queue.name, current.task_id)
                        if found != old:  # watch its queue and hash, then read again
                            old = found
                            yield Unwatch()
                            continue
                        job = job or plan.make_job()
                        place = yield from _replaceable(old, job)
                        if place is None:  # several reads: an empty EXEC proves them
                            yield Exec([])
                            return current, None
                    if place is None:
                        yield Unwatch()
                        return current, None
            if gate is not None and made is None:
                seen.check(gate, home.queue.name)
            job = job or plan.make_job()
            if not home.queue.is_async:
                yield Unwatch()
                yield from _enqueue_inline(home, job, key)
            else:
                replacing = (old[0], old[1], place) if place is not None else None
                commands = _writes(
                    home, job, key, gate, seen, replacing, plan.run_at, reserved=made is not None
                )
                yield Exec(commands)
            return None, job
        except Conflict:
            continue


def _old_keys(old: tuple[str, ...]) -> tuple[str, ...]:
    """What a worker taking the queued job changes: its queue list and its hash."""
    if not old:
        return ()
    queue_name, task_id = old
    return (rqlayout.queue_key(queue_name), rqlayout.job_key(task_id))


def waits_with_same_call(current: Snapshot, job: Job) -> Program[bool]:
    """Whether ``current`` (found queued) still waits in its queue, asked for ``job``'s
    very call. Read without a transaction: ``True`` lets a caller answer with it at once
    (a page asking again); anything else is for :func:`start` to decide atomically (a
    job gone from the queue was taken by a worker, or replaced by a racer)."""
    waiting = yield from _waiting((current.origin or job.origin, current.task_id))
    return waiting is not None and rqlayout.same_call(waiting[1], job)


def _replaceable(old: tuple[str, ...], job: Job) -> Program[int | None]:
    """The index of the queued job ``old`` in its queue when it is still there (no
    worker has taken it) and was asked for another call than ``job``'s; else ``None``.
    Both keys are watched by now."""
    waiting = yield from _waiting(old)
    if waiting is None or rqlayout.same_call(waiting[1], job):
        return None  # a worker has it (or is taking it), or it is this very call: keep it
    return waiting[0]


def _waiting(queued: tuple[str, ...]) -> Program[tuple[int, Any] | None]:
    """A queued job's index in its queue and its stored call, or ``None`` once it has
    left the queue (a worker took it)."""
    queue_name, task_id = queued
    place = yield Command(("LPOS", rqlayout.queue_key(queue_name), task_id))
    if place is None:
        return None
    stored = yield Command(("HGET", rqlayout.job_key(task_id), "data"))
    return int(place), stored


def reserve(plan: Plan, gate: limits.Limits, job_id: str) -> Program[None]:
    """Check the limits and hold the visitor's slot for a job that will be enqueued when
    the caller's database transaction commits: counted at once, so racing requests in
    transactions of their own cannot pass the cap together.

    The slot counts for ``limits.RESERVED_SLOT`` seconds, or until the commit's enqueue
    replaces it with the job's own entry; a rolled-back transaction's slot lapses.
    """
    key = keys.url_key(plan.polling_url) if plan.polling_url is not None else ""
    visitor = keys.visitor_key(gate.visitor)
    while True:
        yield Watch((visitor,))
        try:
            seen = yield from _admission(plan.home, key, gate)
            seen.check(gate, plan.home.queue.name)
            recorder: Any = rqlayout.Recorder()
            deadline = seen.now + limits.RESERVED_SLOT
            _hold_slot(recorder, visitor, limits.reserved(job_id), deadline, seen)
            yield Exec(recorder.commands)
            return
        except Conflict:
            continue


def enqueue(plan: Plan, job: Job, *, checked: bool = True) -> Program[None]:
    """Enqueue the job and point the URL at it in one transaction, without checks (a job
    begun inside a transaction was checked when it was begun: ``checked`` then replaces
    its reservation with its own entry)."""
    home = plan.home
    key = keys.url_key(plan.polling_url) if plan.polling_url is not None else None
    yield from _know_version(home)
    if not home.queue.is_async:
        yield from _enqueue_inline(home, job, key)
        return
    yield Exec(_writes(home, job, key, plan.gate if checked else None, None, run_at=plan.run_at))


def _know_version(home: Home) -> Program[None]:
    if rqlayout.needs_version(home.queue):
        try:
            info = yield Command(("INFO", "server"))
        except RedisRefused:  # a server without INFO (fakeredis): rq assumes 5.0.9 then
            info = {"redis_version": "5.0.9"}
        rqlayout.stamp_version(home.queue, info)


def _admission(home: Home, key: str, gate: limits.Limits | None) -> Program[Admission]:
    keys_ = [key, home.queue.key] + ([keys.visitor_key(gate.visitor)] if gate else [])
    reply = yield scripts.call("admit", keys_, [])
    return Admission.parse(reply)


def _writes(
    home: Home,
    job: Job,
    key: str | None,
    gate: limits.Limits | None,
    seen: Admission | None,
    replacing: tuple[str, str, int] | None = None,
    run_at: datetime | None = None,
    *,
    reserved: bool = False,
) -> rqlayout.Commands:
    """The writes of a start, for MULTI: rq's enqueue (in the place of the queued job
    ``replacing`` names, by queue, id and index, when there is one), the mapping, the
    visitor's count."""
    recorder: Any = rqlayout.Recorder()
    timeout = int(job.timeout) if job.timeout is not None else None
    lifetime = limits.active_lifetime(job.ttl, timeout, bool(job.retries_left))
    if key is not None:
        recorder.set(key, job.id, ex=lifetime)
    if gate is not None:
        visitor = keys.visitor_key(gate.visitor)
        now = seen.now if seen is not None else int(time.time())
        _hold_slot(recorder, visitor, job.id, now + (lifetime or limits.UNBOUNDED_SLOT), seen)
        if seen is None or reserved:  # begun in a transaction: its entry replaces its reservation
            recorder.zrem(visitor, limits.reserved(job.id))
    written: rqlayout.Commands = recorder.commands
    if replacing is None:
        return rqlayout.enqueue_commands(home.queue, job, run_at) + written
    queue_name, old_id, index = replacing
    if queue_name != home.queue.name or run_at is not None:  # another queue, or later
        enqueued = rqlayout.enqueue_commands(home.queue, job, run_at)
        return rqlayout.delete_queued_commands(queue_name, old_id) + enqueued + written
    return rqlayout.replace_queued_commands(home.queue, job, old_id, index) + written


def _hold_slot(
    recorder: Any, visitor: str, member: str, deadline: int, seen: Admission | None
) -> None:
    """Count ``member`` against the visitor until ``deadline``, dropping the entries the
    admit script found stale; the set lives as long as its last deadline."""
    if seen is not None and seen.stale:
        recorder.zrem(visitor, *seen.stale)
    recorder.zadd(visitor, {member: deadline})
    recorder.expireat(visitor, max(deadline, seen.latest_deadline if seen is not None else 0))


def _enqueue_inline(home: Home, job: Job, key: str | None) -> Program[None]:
    # An is_async=False queue runs the job inside enqueue_job, before any transaction
    # could commit: point the URL first, then settle its lifetime.
    if key is not None:
        yield Command(("SET", key, job.id))
    yield Blocking(home.enqueue_inline, (job,))
    if key is not None:
        yield from settle(key, job.id, settle_ttl(job))


def settle(key: str, task_id: str, ttl: int) -> Program[bool]:
    """Give the mapping the job's remaining lifetime, if it still points at the job."""
    return bool((yield scripts.call("settle", [key], [task_id, ttl])))


def forget_mapping(key: str, task_id: str) -> Program[bool]:
    """Delete the mapping if it still points at the job (compare-and-delete)."""
    return bool((yield scripts.call("forget", [key], [task_id])))


def settle_ttl(job: Job) -> int:
    """How long a finished job's mapping should live: as long as what rq keeps of it."""
    status = job.get_status(refresh=False)
    if status == "finished":
        return job.result_ttl if job.result_ttl is not None else RQ_DEFAULT_RESULT_TTL
    return job.failure_ttl if job.failure_ttl is not None else conf.FAILURE_TTL
