"""The Redis side for async code, writing direction: the atomic start over ``redis.asyncio``.

The same optimistic transaction as :meth:`store.Backend.start` (WATCH the URL's mapping
and the visitor's set, read both with the admit script, then enqueue, map and count in
MULTI/EXEC), awaited on the event loop's :class:`~.aread.Reader` connection instead of
blocking a thread of the pool.

rq writes a job only through its synchronous API. Its commands, and the mapping and
counting of :meth:`store.Backend._write`, are queued on a synchronous pipeline that is
never sent (queuing talks to no server) and replayed inside the async transaction, so
the two sides send the very same commands; ``tests/test_awrite.py`` compares them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from redis.exceptions import WatchError
from rq.job import Job
from rq.queue import Queue

from . import aread, keys, limits, store


def recorded_writes(
    backend: store.Backend,
    queue: Queue,
    job: Job,
    key: str | None,
    gate: limits.Limits | None,
    seen: store.Admission | None,
) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """The commands of :meth:`store.Backend._write` (rq's enqueue, the mapping, the
    visitor's count), as (arguments, options) pairs, without sending any of them."""
    recorder = backend.connection.pipeline(transaction=True)
    try:
        backend._write(recorder, queue, job, key, gate, seen)
        return list(recorder.command_stack)
    finally:
        recorder.reset()


async def _server_version(reader: aread.Reader, queue: Queue) -> None:
    """rq stamps each job with the server's version, which it reads once per queue with a
    blocking ``INFO``: read it here, awaited, before rq asks."""
    if queue.redis_server_version:
        return
    info = await reader.client.info("server")
    parts = [int(p) for p in str(info["redis_version"]).split(".")[:3] if p.isdigit()]
    major, minor, patch = (*parts, 0, 0, 0)[:3]
    queue.redis_server_version = (major, minor, patch)


async def start(
    reader: aread.Reader,
    queue: Queue,
    make_job: Callable[[], Job],
    polling_url: str | None,
    *,
    replace: bool,
    gate: limits.Limits | None = None,
) -> tuple[store.Snapshot | None, Job | None]:
    """:meth:`store.Backend.start` awaited: start a job unless (without ``replace``) one in
    progress or finished answers the URL, or the visitor is over a limit (raises).

    Returns ``(snapshot, None)`` for a job found, ``(None, job)`` for the job started.
    The queue must be asynchronous (an ``is_async=False`` queue runs the job while
    enqueuing it: callers use the sync side).
    """
    backend = reader.backend
    key = keys.url_key(polling_url) if polling_url is not None else None
    visitor = keys.visitor_key(gate.visitor) if gate is not None else None
    watched = [k for k in (None if replace else key, visitor) if k is not None]
    job: Job | None = None
    async with reader.errors():  # sorted by store.failure, as the sync start's errors
        await _server_version(reader, queue)
        if not watched:  # begin_process without limits: nothing to check
            job = make_job()
            writes = recorded_writes(backend, queue, job, key, None, None)
            async with reader.client.pipeline(transaction=True) as pipe:
                _replay(pipe, writes)
                await pipe.execute()
            return None, job
        async with reader.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(*watched)
                    seen = await _admission(reader, pipe, key or "", queue, gate)
                    if seen.mapped and not replace:
                        current = await reader.lookup(polling_url, None, client=pipe)
                        if current is not None and store.keeps(current):
                            await pipe.unwatch()  # type: ignore[no-untyped-call]
                            return current, None
                    if gate is not None:
                        seen.check(gate, queue.name)
                    job = job or make_job()
                    writes = recorded_writes(backend, queue, job, key, gate, seen)
                    pipe.multi()  # type: ignore[no-untyped-call]
                    _replay(pipe, writes)
                    await pipe.execute()
                    return None, job
                except WatchError as exc:
                    if "ConnectionError" in str(exc):  # dropped under WATCH: an outage
                        raise
                    continue


def _replay(pipe: Any, writes: list[tuple[tuple[Any, ...], dict[str, Any]]]) -> None:
    for args, options in writes:
        pipe.execute_command(*args, **options)


async def _admission(
    reader: aread.Reader, pipe: Any, key: str, queue: Queue, gate: limits.Limits | None
) -> store.Admission:
    keys_ = store.admission_keys(key, queue, gate)
    name = "admit"
    reply = await reader.evalsha(pipe, store._SHAS[name], store._SOURCES[name], len(keys_), *keys_)
    return store.Admission.parse(reply)
