"""The listening side of push: one pub/sub connection per process, fanned out in memory.

Every stream of a process (an event loop) asks the :class:`Hub` to watch its job. The hub
subscribes the job's channel on its one pub/sub connection and keeps one :class:`Topic`
per job: an announcement (see :mod:`.publish`) makes the topic look the job up once and
every stream of that job reads the same snapshot. Each topic also looks again every
``RQ_POLL['PUSH_RECHECK']`` seconds on its own, so a job that never announces its end (its
worker was SIGKILLed) still ends, and so does every job while the pub/sub connection is
lost: the hub reconnects with back-off and then looks every job up once more.

Redis connections per process: the pub/sub one, and one for the lookups.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Iterator
from typing import Any, TypeVar

import redis
from django.core.signals import setting_changed

from ..conf import conf
from ..core import keys, reads
from ..core.ops import Program
from ..core.snapshot import Snapshot
from ..core.wait import Wait
from ..drivers import aio, backends
from ..exceptions import RedisUnavailable
from . import publish

logger = logging.getLogger("django_rq_poll")

# After an "end" announcement rq still has to store the status and the result (its
# callbacks run first, then one WATCH/MULTI round trip): look again after these pauses
# (seconds) until the lookup says the job is done. Small steps first: that write takes
# a few milliseconds, and each look is one script call on the hub's connection.
END_FOLLOW_UP: tuple[float, ...] = (0.002, 0.002, 0.002, 0.003, 0.003, 0.005, 0.005)
END_FOLLOW_UP += (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
# How long a new topic waits for Redis to confirm its subscription before its first
# lookup (after which no announcement can be missed); longer only while Redis is slow.
SUBSCRIBE_WAIT = 2.0
# Pauses between attempts to reconnect the pub/sub connection: the first, doubled after
# each failure up to the last; a connection that works starts them over.
FIRST_BACKOFF = 0.1
MAX_BACKOFF = 5.0

T = TypeVar("T")


def backoffs() -> Iterator[float]:
    """The pauses before each reconnect attempt, from ``FIRST_BACKOFF`` doubling up to
    ``MAX_BACKOFF`` (then that, for as long as Redis stays away)."""
    pause = FIRST_BACKOFF
    while True:
        yield pause
        pause = min(pause * 2, MAX_BACKOFF)


def _looking(home: backends.Backend, task_id: str) -> Program[tuple[Snapshot | None, Wait | None]]:
    """The job, and while it is queued its place (other jobs leave the queue silently)."""
    snap = yield from reads.lookup(home, None, task_id, meta=True)
    wait = None
    if snap is not None:
        wait = yield from reads.wait(home, snap.task_id, snap.origin, snap.rq_status)
    return snap, wait


class Topic:
    """One job watched by this process's streams: one lookup serves them all."""

    def __init__(self, hub: Hub, task_id: str) -> None:
        self.hub = hub
        self.task_id = task_id
        self.channel = keys.events_channel(task_id).encode()
        self.refs = 0
        #: The last snapshot (``None``: the job is gone), valid once ``ready`` is set.
        self.snapshot: Snapshot | None = None
        #: While the job is queued: its place and its queue's workers (checked again at
        #: each recheck, as other jobs leave the queue without a word to this one).
        self.wait: Wait | None = None
        #: Grows by one whenever ``snapshot`` changes.
        self.version = 0
        #: The lookups fail (Redis unreachable); the snapshot is the last one known.
        self.unavailable = False
        self.ready = asyncio.Event()
        self.changed = asyncio.Event()  # replaced by a fresh one at each change
        self.subscribed = asyncio.Event()
        self._poke = asyncio.Event()
        self._ending = False
        self._task = asyncio.get_running_loop().create_task(self._run())

    @property
    def settled(self) -> bool:
        """The last lookup succeeded and found the job done or gone: nothing will change.
        While lookups fail, the topic keeps looking (every ``PUSH_RECHECK`` seconds, or
        when poked) until Redis answers again."""
        if self.unavailable or not self.ready.is_set():
            return False
        return self.snapshot is None or self.snapshot.state.done

    @property
    def alive(self) -> bool:
        """Still serving its streams: looking, or settled (its last answer stands)."""
        return not self._task.done() or (self.settled and not self._task.cancelled())

    def poke(self, ending: bool = False) -> None:
        """Look the job up now (an announcement came, or the connection came back)."""
        self._ending = self._ending or ending
        self._poke.set()

    async def _run(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.hub.subscribe(self), SUBSCRIBE_WAIT)
        await self._refresh()
        self.ready.set()
        while not self.settled:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poke.wait(), conf.PUSH_RECHECK)
            self._poke.clear()
            ending, self._ending = self._ending, False
            await self._refresh()
            for pause in END_FOLLOW_UP if ending else ():
                if self.snapshot is None or self.snapshot.state.done or self._poke.is_set():
                    break
                await asyncio.sleep(pause)
                await self._refresh()

    async def _refresh(self) -> None:
        try:
            snap, wait = await self.hub.run(_looking(self.hub.backend, self.task_id))
        except (RedisUnavailable, redis.RedisError) as exc:
            if not self.unavailable:
                logger.warning(
                    "Stream of job %s cannot look it up: %s (%r)", self.task_id, exc, exc.__cause__
                )
            self.unavailable = True
            return
        self.unavailable = False
        if self.version and (snap, wait) == (self.snapshot, self.wait):
            return
        self.snapshot, self.wait = snap, wait
        self.version += 1
        changed, self.changed = self.changed, asyncio.Event()
        changed.set()

    def close(self) -> None:
        self._task.cancel()


class Hub:
    """The process's (event loop's) one pub/sub connection and the topics it serves."""

    def __init__(self, backend: backends.Backend) -> None:
        self.backend = backend
        # Lookups share one connection: a thousand streams never open a thousand.
        self.client = aio.async_client(
            backend.connection, max_connections=1, client_name=self.name("lookups")
        )
        self.topics: dict[str, Topic] = {}
        self._one = asyncio.Semaphore(1)
        self.prefix = keys.events_channel_prefix().encode()
        self.pubsub: Any = None
        self.connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.reconnects = 0

    async def run(self, program: Program[T]) -> T:
        """Run a program on the hub's own lookup connection, one at a time (a
        Sentinel-managed pool would open more rather than wait)."""
        async with self._one:
            return await aio.run(program, self.client, self.backend.where)

    @staticmethod
    def name(role: str) -> str:
        """The connection's name in ``CLIENT LIST``, for operators counting them."""
        return f"{conf.PREFIX}:push:{role}"

    # -- streams ---------------------------------------------------------------------
    def watch(self, task_id: str) -> Topic:
        """The job's topic, created (and its channel subscribed) by the first stream."""
        topic = self.topics.get(task_id)
        if topic is not None and not topic.alive:  # a new stream never inherits a dead one
            topic.close()
            topic = None
        if topic is None:
            topic = self.topics[task_id] = Topic(self, task_id)
            if self._task is None or self._task.done():
                self._task = asyncio.get_running_loop().create_task(self._listen())
        topic.refs += 1
        return topic

    def unwatch(self, topic: Topic) -> None:
        """A stream ended; the last one of a job drops its topic and subscription."""
        topic.refs -= 1
        if topic.refs > 0 or self.topics.get(topic.task_id) is not topic:
            return
        del self.topics[topic.task_id]
        topic.close()
        if self.connected.is_set():
            asyncio.get_running_loop().create_task(self._unsubscribe(topic.channel))

    async def subscribe(self, topic: Topic) -> None:
        """Subscribe the topic's channel and wait for Redis to confirm it (when connected;
        otherwise the reconnect subscribes it)."""
        await self.connected.wait()
        try:
            await self.pubsub.subscribe(topic.channel)
        except (redis.RedisError, OSError):
            return  # the listener notices the lost connection and subscribes it again
        await topic.subscribed.wait()

    async def _unsubscribe(self, channel: bytes) -> None:
        with contextlib.suppress(redis.RedisError, OSError):
            if channel[len(self.prefix) :].decode() not in self.topics:
                await self.pubsub.unsubscribe(channel)

    # -- the connection ------------------------------------------------------------------
    async def _listen(self) -> None:
        pauses = backoffs()
        while True:
            self.pubsub = aio.async_client(
                self.backend.connection,
                max_connections=1,
                socket_timeout=None,
                client_name=self.name("pubsub"),
            ).pubsub()
            try:
                await self.pubsub.ping()  # connects; raises while Redis is unreachable
                channels = [t.channel for t in self.topics.values()]
                if channels:
                    await self.pubsub.subscribe(*channels)
                pauses = backoffs()
                self.connected.set()
                if self.reconnects:
                    for topic in list(self.topics.values()):
                        topic.poke()  # announcements may have been missed meanwhile
                await self._read()
            except asyncio.CancelledError:
                raise
            except (redis.RedisError, OSError) as exc:
                if self.connected.is_set():
                    logger.warning("Push lost its pub/sub connection (%s); reconnecting.", exc)
            finally:
                self.connected.clear()
                for topic in self.topics.values():
                    topic.subscribed.clear()
                with contextlib.suppress(Exception):
                    await self.pubsub.aclose()
            self.reconnects += 1
            await asyncio.sleep(next(pauses))

    async def _read(self) -> None:
        quiet = 0
        while True:
            message = await self.pubsub.get_message(timeout=conf.PUSH_HEARTBEAT)
            if message is None:
                # Silence: a ping proves the connection alive (its pong is a message);
                # a second silence in a row means it is not.
                if quiet:
                    raise redis.ConnectionError("no answer to a ping on the pub/sub connection")
                quiet += 1
                await self.pubsub.ping()
                continue
            quiet = 0
            kind = message["type"]
            channel = message.get("channel") or b""
            topic = self.topics.get(channel[len(self.prefix) :].decode(errors="replace"))
            if topic is None:
                continue
            if kind == "message":
                topic.poke(ending=message["data"] == publish.END)
            elif kind == "subscribe":
                topic.subscribed.set()

    async def aclose(self) -> None:
        for topic in list(self.topics.values()):
            topic.close()
        self.topics.clear()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.client.aclose()


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """This event loop's hub, for ``RQ_POLL['QUEUE']``'s Redis."""
    loop = asyncio.get_running_loop()
    backend = backends.backend()
    found = _hubs.get(loop)
    if found is None or found.backend is not backend:
        found = _hubs[loop] = Hub(backend)
    return found


def _forget(**kwargs: Any) -> None:
    if kwargs.get("setting") in (None, "RQ_QUEUES", "RQ", "RQ_POLL"):
        _hubs.clear()


setting_changed.connect(_forget, dispatch_uid="django_rq_poll.listen.forget")
