"""The queues' backends: each queue's client and serializer, built once and reused.

A :class:`Backend` is what the core knows as a :class:`~django_rq_poll.core.home.Home`:
names, serializers and small caches, plus the few calls only rq's synchronous API can
make (fetch, cancel, stop, delete a job), which programs run as ``Blocking`` operations.
The operators' tools (``rqpoll``, doctor, inventory) use its synchronous helpers too.
"""

from __future__ import annotations

import contextlib
import threading
import time
import weakref
from collections.abc import Iterator
from typing import Any, TypeVar

import redis
from django.core.signals import setting_changed
from redis.exceptions import WatchError
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.queue import Queue

from ..conf import conf
from ..core import keys, rqlayout, scripts, snapshot
from ..core.errors import describe, unavailable_as
from ..core.ops import Program
from ..exceptions import ImproperlyConfigured
from . import sync

T = TypeVar("T")

# Seconds a queue's worker count is reused (pages polled by many ask once per process).
WORKER_COUNT_TTL = 2.0


class Backend:
    """One queue's connection, serializer and lookup script, built once and reused."""

    def __init__(self, queue: Queue) -> None:
        self.queue = queue
        self.connection: redis.Redis = queue.connection
        self.serializer = queue.serializer
        # Settings read once: a change of RQ_POLL builds new backends (see clear_cache).
        self.lookup_script = scripts.lookup(conf.FAILURE_TTL)
        self._origin = queue.name.encode()
        kwargs = self.connection.connection_pool.connection_kwargs
        self.identity = tuple(kwargs.get(k) for k in ("host", "port", "path", "db", "username"))
        self.where = describe(self.connection, queue.name)
        self._workers: tuple[float, int] | None = None  # (valid until, count)

    def errors(self) -> Any:
        """Any redis-py error inside becomes the package's error naming this queue."""
        return unavailable_as(self.where)

    def run(self, program: Program[T]) -> T:
        return sync.run(program, self.connection, self.where)

    # -- what the core reads -------------------------------------------------------
    def serializer_of(self, origin: bytes) -> Any:
        """Jobs are decoded with their own queue's serializer (pickle and JSON can mix)."""
        if origin == self._origin:
            return self.serializer
        # A name that is not UTF-8 (a hand-written or corrupt hash) names no queue.
        other = self.other(origin.decode(errors="replace"))
        return other.serializer if other is not None else self.serializer

    def other(self, queue_name: str | None) -> Backend | None:
        try:
            return backend(queue_name)
        except ImproperlyConfigured:  # a job from a queue this site does not configure
            return None

    def for_queue(self, queue_name: str | None) -> Backend:
        if queue_name is None or queue_name == self.queue.name:
            return self
        other = backend(queue_name)
        if other.identity != self.identity:
            raise ImproperlyConfigured(
                f"Queue {queue_name!r} uses another Redis than RQ_POLL['QUEUE'] "
                f"({self.queue.name!r}); polling needs both on the same Redis database."
            )
        return other

    def remembered_worker_count(self) -> int | None:
        cached = self._workers
        return cached[1] if cached is not None and cached[0] > time.monotonic() else None

    def remember_worker_count(self, count: int) -> int:
        self._workers = (time.monotonic() + WORKER_COUNT_TTL, count)
        return count

    # -- rq's synchronous API ------------------------------------------------------
    def fetch_job(self, task_id: str) -> Job | None:
        """The rq Job, read with its own queue's serializer; ``None`` when gone, or when
        its hash holds what rq cannot read (bytes no rq wrote): such a job is known only
        by its lookup, which reads it as unreadable."""
        if not keys.is_valid_job_id(task_id):
            return None
        with self.errors():
            origin = self.connection.hget(self.queue.job_class.key_for(task_id), "origin")
            serializer = self.serializer_of(_bytes(origin)) if origin else self.serializer
            try:
                return self.queue.job_class.fetch(
                    task_id, connection=self.connection, serializer=serializer
                )
            except NoSuchJobError:
                return None
            except redis.RedisError:
                raise
            except Exception:  # rq's parsing of a hash holding junk (any error it raises)
                return None

    def cancel_job(self, job: Job) -> bool:
        """Cancel a queued job; ``False`` when it vanished, changed or was canceled meanwhile.

        The job's hash is watched, so a job deleted by a racing forget is never brought
        back as a hash holding only a status.
        """
        with self.errors(), self.connection.pipeline() as pipe:
            try:
                pipe.watch(job.key)  # type: ignore[no-untyped-call]
                if not pipe.exists(job.key):
                    return False
                pipe.multi()
                job.cancel(pipeline=pipe)
                pipe.execute()
            except (InvalidJobOperation, WatchError):
                return False
        return True

    def stop_job(self, job: Job) -> bool:
        """Ask the worker running the job to stop it; ``False`` when it is not running."""
        with self.errors():
            try:
                send_stop_job_command(self.connection, job.id, serializer=self.serializer)
            except InvalidJobOperation:
                return False
        return True

    def delete_job(self, job: Job) -> bool:
        """Delete the job, its registry entries and its results, all or nothing.

        ``False`` when the job vanished meanwhile (another request deleted it, or it
        expired): rq re-reads the status while it deletes and raises then, so the
        deletion is queued on a transaction that is only sent once rq has read all it
        needs. Any number of concurrent calls: one deletes, the others answer ``False``.
        """
        with self.errors(), self.connection.pipeline() as pipe:
            try:
                job.delete(pipeline=pipe)
            except InvalidJobOperation:
                return False
            hash_deleted = len(pipe) - 1  # rq's last command deletes the job's hash
            pipe.delete(rqlayout.results_key(job.id))
            replies = pipe.execute()
        return bool(replies[hash_deleted])

    def enqueue_inline(self, job: Job) -> None:
        with self.errors():
            self.queue.enqueue_job(job)

    # -- operators' tools (synchronous only) ---------------------------------------
    def load_scripts(self) -> list[str]:
        """Load every script now (``rqpoll doctor``; lookups load them when missing)."""
        sources = scripts.all_sources(conf.FAILURE_TTL)
        with self.errors():
            for source in sources.values():
                self.connection.script_load(source)
        return list(sources)

    def iter_mappings(self) -> Iterator[tuple[str, str]]:
        """Every (mapping key, task id) pair, without blocking Redis."""
        with self.errors():
            for key in self.connection.scan_iter(match=keys.url_key_pattern(), count=500):
                value = self.connection.get(key)
                if value is not None:
                    yield _text(key), _text(value)


def _bytes(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


# The servers' limits, by client: one CONFIG GET per worker process and server.
_SERVER_LIMITS: weakref.WeakKeyDictionary[Any, int | None] = weakref.WeakKeyDictionary()


def server_result_limit(connection: Any) -> int | None:
    """The largest serialized result the server can take: rq stores it base64-encoded in
    one bulk string, which ``proto-max-bulk-len`` bounds (a larger write fails, and the
    work-horse would retry it for ever). ``None`` when the server does not say: for an
    ACL user (the documented rules grant no CONFIG, and a refusal would fill the ACL log
    once per worker) or where CONFIG is refused, ``MAX_RESULT_BYTES`` alone applies;
    ``rqpoll doctor`` compares the two."""
    try:
        return _SERVER_LIMITS[connection]
    except (KeyError, TypeError):
        pass
    kwargs = getattr(getattr(connection, "connection_pool", None), "connection_kwargs", {})
    if kwargs.get("username") not in (None, "default"):
        return None
    try:
        found = connection.config_get("proto-max-bulk-len").get("proto-max-bulk-len")
        limit: int | None = int(found) * 3 // 4 - 4096  # base64, and the entry's fields
    except Exception:  # refused (ACL), not Redis (fakeredis), or no such setting
        limit = None
    with contextlib.suppress(TypeError):
        _SERVER_LIMITS[connection] = limit
    return limit


_backends: dict[str, Backend] = {}
_default: Backend | None = None  # home(), without reading settings on every lookup
_lock = threading.Lock()


def backend(queue_name: str | None = None) -> Backend:
    """The cached backend of a queue (default: ``RQ_POLL['QUEUE']``, the mappings' home)."""
    global _default
    if not queue_name and _default is not None:
        return _default
    name = queue_name or conf.QUEUE
    found = _backends.get(name)
    if found is not None and queue_name:
        return found
    with _lock:
        if name not in _backends:
            _backends[name] = Backend(_make_queue(name))
        found = _backends[name]
        if not queue_name:
            _default = found
        return found


def _make_queue(name: str) -> Queue:
    import django_rq  # reads settings at import: keep it out of module import time
    from django_rq.settings import QUEUES

    if name not in QUEUES:
        raise ImproperlyConfigured(
            f"Queue {name!r} is not in RQ_QUEUES (known: {', '.join(sorted(QUEUES))})."
        )
    queue: Queue = django_rq.get_queue(name)
    return queue


def clear_cache(**kwargs: Any) -> None:
    global _default
    if kwargs.get("setting") in (None, "RQ_QUEUES", "RQ", "RQ_POLL"):
        with _lock:
            _backends.clear()
            _default = None
            snapshot.forget_read_backs()


setting_changed.connect(clear_cache, dispatch_uid="django_rq_poll.drivers.backends.clear_cache")
