"""The Redis side for async code, reading direction: the lookup script over ``redis.asyncio``.

:mod:`django_rq_poll.store` stays the one module that knows rq's key layout: this one
sends the same script with the same arguments and decodes the reply with the
:class:`~django_rq_poll.store.Backend` it belongs to, so both sides answer alike
(``tests/test_aread.py`` checks that). ``redis.asyncio`` connections belong to the event
loop that opened them, so there is one reader per loop and queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import weakref
from collections.abc import AsyncIterator
from typing import Any

import redis
import redis.asyncio as aredis
from django.core.signals import setting_changed
from redis.asyncio import connection as aconnection
from redis.exceptions import NoScriptError

from . import store
from .exceptions import RedisUnavailable
from .states import State, from_rq_status

_CLASSES: dict[type[Any], type[aconnection.AbstractConnection]] = {
    redis.connection.Connection: aconnection.Connection,
    redis.connection.SSLConnection: aconnection.SSLConnection,
    redis.connection.UnixDomainSocketConnection: aconnection.UnixDomainSocketConnection,
}
# What a connection needs to reach the same server as the queue's client; the sync
# pool's other entries are redis-py internals the async classes do not take.
_KWARGS = (
    "host",
    "port",
    "path",
    "db",
    "username",
    "password",
    "socket_timeout",
    "socket_connect_timeout",
    "socket_keepalive",
    "socket_keepalive_options",
    "client_name",
    "credential_provider",
)


def connection_settings(client: redis.Redis) -> tuple[type[Any], dict[str, Any]]:
    """The async connection class and arguments reaching the server ``client`` reaches."""
    pool = client.connection_pool
    cls = _CLASSES.get(pool.connection_class)
    if cls is None:  # a subclass of one of them (a site's own): the closest async kind
        base = next((c for c in _CLASSES if issubclass(pool.connection_class, c)), None)
        cls = _CLASSES[base] if base is not None else aconnection.Connection
    given = pool.connection_kwargs
    kwargs = {k: given[k] for k in _KWARGS if k in given}
    if cls is aconnection.SSLConnection:
        accepted = inspect.signature(cls.__init__).parameters
        kwargs.update({k: v for k, v in given.items() if k.startswith("ssl_") and k in accepted})
    if cls is aconnection.UnixDomainSocketConnection:
        kwargs.pop("host", None)
        kwargs.pop("port", None)
    else:
        kwargs.pop("path", None)
    return cls, kwargs


def async_client(client: redis.Redis, *, max_connections: int, **overrides: Any) -> aredis.Redis:
    """A ``redis.asyncio`` client for the same server, never more than ``max_connections``
    connections (callers beyond that wait for one)."""
    cls, kwargs = connection_settings(client)
    pool = aredis.BlockingConnectionPool(
        connection_class=cls, max_connections=max_connections, timeout=None, **kwargs
    )
    pool.connection_kwargs.update(overrides)
    return aredis.Redis.from_pool(pool)  # owns the pool: aclose() closes its connections


class Reader:
    """The lookup of :class:`store.Backend`, awaited instead of blocking a thread."""

    def __init__(
        self, backend: store.Backend, *, max_connections: int = 4, **overrides: Any
    ) -> None:
        self.backend = backend
        self.client = async_client(backend.connection, max_connections=max_connections, **overrides)

    @contextlib.asynccontextmanager
    async def errors(self, source: str | None = None) -> AsyncIterator[None]:
        """Any redis-py error sorted by :func:`store.failure`, as the sync side's are."""
        try:
            yield
        except redis.RedisError as exc:
            raise store.failure(exc, self.backend.where, source) from exc
        except OSError as exc:
            raise RedisUnavailable(self.backend.where) from exc

    async def evalsha(self, client: Any, sha: bytes | str, source: str, *args: Any) -> Any:
        """``EVALSHA`` on ``client`` (this reader's, or one of its pipelines), loading the
        script once when the server has forgotten it."""
        async with self.errors(source):
            try:
                return await client.execute_command("EVALSHA", sha, *args)
            except NoScriptError:  # a restarted or flushed server forgot it: load, retry once
                await client.script_load(source)  # on a pipeline's own connection
                return await client.execute_command("EVALSHA", sha, *args)

    async def queue_facts(self, backend: store.Backend, task_id: str) -> tuple[int | None, int]:
        """What :meth:`store.Backend.queue_position` and ``worker_count`` answer."""
        async with self.errors():
            index = await self.client.lpos(backend.queue.key, task_id)
            count = backend.remembered_worker_count()
            if count is None:
                # SMEMBERS, as rq's Worker.count: the ACL set the docs give covers it
                members = await self.client.smembers(backend.workers_key)
                count = backend.remember_worker_count(len(members))
        return (index + 1 if isinstance(index, int) else None), count

    async def _run_lookup(
        self, polling_url: str | None, task_id: str | None, flags: bytes, client: Any = None
    ) -> Any:
        call = store.lookup_args(polling_url, task_id, flags)
        if call is None:
            return None
        backend = self.backend
        client = self.client if client is None else client
        return await self.evalsha(client, backend._lookup_sha, backend._lookup_source, *call)

    async def lookup(
        self,
        polling_url: str | None,
        task_id: str | None,
        *,
        result: bool = False,
        meta: bool = False,
        client: Any = None,
    ) -> store.Snapshot | None:
        """What :meth:`store.Backend.lookup` answers, in one awaited script call
        (``client``: a pipeline watching keys, as in :func:`.awrite.start`)."""
        flags = {(False, False): b"", (True, False): b"r", (False, True): b"m"}.get(
            (result, meta), b"rm"
        )
        raw = await self._run_lookup(polling_url, task_id, flags, client)
        if raw is None or b"\0" not in raw:
            return None
        snap = self.backend._decode(raw, meta)
        if not result and snap.rq_status == "finished" and not store._was_read_back(raw):
            return await self._read_back(snap.task_id, meta, client)
        return snap

    async def state(self, polling_url: str | None, task_id: str | None) -> State | None:
        raw = await self._run_lookup(polling_url, task_id, b"")
        if raw is None or b"\0" not in raw:
            return None
        head = raw.split(b"\0", 8)
        if head[2] == b"1":
            return State.FAILED
        if head[1] == b"finished" and not store._was_read_back(raw):
            snap = await self._read_back(head[0].decode(), False)
            return snap.state if snap is not None else None
        return from_rq_status(head[1].decode())

    async def _read_back(
        self, task_id: str, meta: bool, client: Any = None
    ) -> store.Snapshot | None:
        """As :meth:`store.Backend._read_back`: a result this process cannot read makes
        the job failed for every function, not only for the result's reader."""
        snap = await self.lookup(None, task_id, result=True, meta=meta, client=client)
        return snap._replace(return_value=None) if snap is not None else None

    async def aclose(self) -> None:
        await self.client.aclose()


_readers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Any, Reader]] = (
    weakref.WeakKeyDictionary()
)


def reader(backend: store.Backend | None = None) -> Reader:
    """The reader of this event loop for ``backend`` (default: ``RQ_POLL['QUEUE']``'s)."""
    backend = backend if backend is not None else store.backend()
    loop = asyncio.get_running_loop()
    # async_to_sync (an async view under WSGI) runs each call in a loop of its own: let
    # go of the readers of closed loops, so their connections close with them.
    for closed in [other for other in _readers if other.is_closed()]:
        del _readers[closed]
    per_loop = _readers.setdefault(loop, {})
    found = per_loop.get(backend.identity)
    if found is None or found.backend is not backend:
        found = per_loop[backend.identity] = Reader(backend)
    return found


def _forget(**kwargs: Any) -> None:
    if kwargs.get("setting") in (None, "RQ_QUEUES", "RQ", "RQ_POLL"):
        _readers.clear()


setting_changed.connect(_forget, dispatch_uid="django_rq_poll.aread.forget")
