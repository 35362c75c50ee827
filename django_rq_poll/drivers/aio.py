"""The async driver: runs the core's programs with ``redis.asyncio``, awaiting each reply.

It sends the very operations :mod:`.sync` sends (the same scripts, the same WATCH/MULTI
transaction) and differs only in how it waits; ``Blocking`` operations (rq's synchronous
API) run in a thread. ``redis.asyncio`` connections belong to the event loop that opened
them, so each loop has its own client per Redis.
"""

from __future__ import annotations

import asyncio
import inspect
import weakref
from typing import Any, TypeVar

import redis
import redis.asyncio as aredis
import redis.sentinel
from asgiref.sync import sync_to_async
from django.core.signals import setting_changed
from redis.asyncio import connection as aconnection
from redis.asyncio import sentinel as asentinel
from redis.asyncio.client import Pipeline

from ..core.ops import Blocking, Command, Exec, Op, Program, Runner, Script, Unwatch, Watch
from .sync import in_multi

T = TypeVar("T")

# The most specific first: a subclass is given the first kind it is a subclass of, and
# SSLConnection is a Connection (a site's own TLS class must stay TLS).
_CLASSES: dict[type[Any], type[aconnection.AbstractConnection]] = {
    redis.connection.SSLConnection: aconnection.SSLConnection,
    redis.connection.UnixDomainSocketConnection: aconnection.UnixDomainSocketConnection,
    redis.connection.Connection: aconnection.Connection,
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
    # The class itself or, for a site's own subclass, the closest async kind.
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


# Connections a Sentinel-managed async client may open: redis.asyncio's Sentinel pool
# does not wait for a free connection as the blocking pool does, it refuses.
SENTINEL_MAX_CONNECTIONS = 64


def async_client(client: redis.Redis, *, max_connections: int, **overrides: Any) -> aredis.Redis:
    """A ``redis.asyncio`` client for the same server, never more than ``max_connections``
    connections (callers beyond that wait for one). Behind Sentinel, a client of the same
    master, found through the same sentinels (it follows a failover as the sync one does).
    """
    if isinstance(client.connection_pool, redis.sentinel.SentinelConnectionPool):
        return _sentinel_client(client.connection_pool, **overrides)
    cls, kwargs = connection_settings(client)
    pool = aredis.BlockingConnectionPool(
        connection_class=cls, max_connections=max_connections, timeout=None, **kwargs
    )
    pool.connection_kwargs.update(overrides)
    return aredis.Redis.from_pool(pool)  # owns the pool: aclose() closes its connections


def _sentinel_client(pool: redis.sentinel.SentinelConnectionPool, **overrides: Any) -> aredis.Redis:
    manager = pool.sentinel_manager
    addresses = [
        (
            s.connection_pool.connection_kwargs.get("host"),
            s.connection_pool.connection_kwargs.get("port"),
        )
        for s in manager.sentinels
    ]
    given = pool.connection_kwargs
    kwargs = {k: given[k] for k in _KWARGS if k in given and k not in ("host", "port", "path")}
    kwargs.update(overrides)
    # redis-py 8 keeps its default retry policy for master discovery, a sync Retry, in the
    # sync Sentinel's kwargs; the async Sentinel derives the same default from the same
    # kwargs, so it is left out here rather than converted (redis-py warns on converting).
    sentinel_kwargs = {k: v for k, v in manager.sentinel_kwargs.items() if k != "retry"}
    sentinel = asentinel.Sentinel(  # type: ignore[no-untyped-call,unused-ignore]
        addresses, sentinel_kwargs=sentinel_kwargs, **kwargs
    )
    master: aredis.Redis = sentinel.master_for(
        pool.service_name, max_connections=SENTINEL_MAX_CONNECTIONS
    )
    return master


async def run(program: Program[T], client: aredis.Redis, where: str) -> T:
    """Run ``program`` against ``client``; errors are the package's, naming ``where``."""
    runner = Runner(program, where)
    session = _Session(client)
    try:
        op = runner.first()
        while not runner.done:
            op = runner.resume(*(await session.outcome(op)))
        return runner.result  # type: ignore[no-any-return]
    finally:
        await session.close()


class _Session:
    """The client, and the pipeline of the transaction under way (if any)."""

    __slots__ = ("client", "pipe")

    def __init__(self, client: aredis.Redis) -> None:
        self.client = client
        self.pipe: Pipeline | None = None

    async def outcome(self, op: Op | None) -> tuple[Any, Exception | None]:
        try:
            return await self.send(op), None
        except Exception as exc:  # sorted by the runner, thrown into the program
            return None, exc

    async def send(self, op: Op | None) -> Any:
        target: Any = self.pipe if self.pipe is not None else self.client
        if isinstance(op, Script):
            return await target.execute_command("EVALSHA", op.sha, *op.args)
        if isinstance(op, Command):
            return await target.execute_command(*op.args)
        if isinstance(op, Watch):
            await self.close()
            self.pipe = self.client.pipeline()
            return await self.pipe.watch(*op.keys)
        if isinstance(op, Exec):
            pipe: Any = self.pipe if self.pipe is not None else self.client.pipeline()
            self.pipe = None
            try:
                return await in_multi(pipe, op).execute()
            finally:
                await pipe.reset()
        if isinstance(op, Unwatch):
            return await self.close()
        if isinstance(op, Blocking):
            return await sync_to_async(op.func, thread_sensitive=False)(*op.args)
        raise TypeError(f"not an operation: {op!r}")

    async def close(self) -> None:
        if self.pipe is not None:
            await self.pipe.reset()  # type: ignore[no-untyped-call]
            self.pipe = None


# -- one client per event loop and Redis ------------------------------------------------
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Any, aredis.Redis]] = (
    weakref.WeakKeyDictionary()
)


def client_for(backend: Any) -> aredis.Redis:
    """This event loop's client for the Redis of ``backend`` (at most 4 connections)."""
    loop = asyncio.get_running_loop()
    # async_to_sync (an async view under WSGI) runs each call in a loop of its own: let
    # go of the clients of closed loops, so their connections close with them.
    for closed in [other for other in _clients if other.is_closed()]:
        del _clients[closed]
    per_loop = _clients.setdefault(loop, {})
    found = per_loop.get(backend.identity)
    if found is None:
        found = per_loop[backend.identity] = async_client(backend.connection, max_connections=4)
    return found


async def run_on(program: Program[T], backend: Any) -> T:
    """Run ``program`` on this event loop's client for a backend's Redis."""
    return await run(program, client_for(backend), backend.where)


def _forget(**kwargs: Any) -> None:
    if kwargs.get("setting") in (None, "RQ_QUEUES", "RQ", "RQ_POLL"):
        _clients.clear()


setting_changed.connect(_forget, dispatch_uid="django_rq_poll.drivers.aio.forget")
