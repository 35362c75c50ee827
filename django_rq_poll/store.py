"""The Redis side: cached queues and clients, the Lua scripts, enqueue plus mapping.

This is the only module that knows rq's key layout; it takes the prefixes from rq itself.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import redis
from django.core.signals import setting_changed
from redis.exceptions import NoScriptError, WatchError
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.executions import ExecutionRegistry
from rq.job import Job
from rq.queue import Queue
from rq.registry import StartedJobRegistry
from rq.results import Result
from rq.worker import Worker
from rq.worker_registration import WORKERS_BY_QUEUE_KEY

from . import acl, keys, limits, scripts
from .conf import RQ_DEFAULT_RESULT_TTL, conf
from .exceptions import (
    ImproperlyConfigured,
    QueueFull,
    RedisRefused,
    RedisUnavailable,
    TooManyJobs,
)
from .states import State, from_rq_status

META_URL = "rq_poll_url"
META_PROGRESS = "rq_poll_progress"
META_OWNER = "rq_poll_owner"
# The page a browser should load once the job is done (the polling URL may be a key
# that is not a page, e.g. one carrying the user).
META_PAGE = "rq_poll_page"
META_CALLBACKS = "rq_poll_callbacks"

ABANDONED_ERROR = (
    "AbandonedJobError: the worker running this job stopped sending heartbeats "
    "(it was killed or lost its connection to Redis)."
)

UNREADABLE_ERROR = (
    "ResultUnreadable: the job's stored result cannot be read by this process ({error}). "
    "Is the code that defines it deployed here, and does the queue use the same SERIALIZER "
    "as the worker?"
)


# Redis' error codes that mean "not now": the same command can succeed later.
_NOT_NOW = {
    "OOM": "out of memory under maxmemory-policy noeviction",
    "READONLY": "a read-only replica, e.g. a master demoted by a failover",
    "BUSY": "busy running a script or a module command",
    "LOADING": "loading its dataset into memory",
    "MASTERDOWN": "a replica that lost its master",
    "MISCONF": "unable to persist to disk, so refusing writes",
    "NOREPLICAS": "not enough replicas for min-replicas-to-write",
    "TRYAGAIN": "a cluster slot being migrated",
    "CLUSTERDOWN": "a cluster that is down",
}
# redis-py's classes for some codes (it strips the code from the message).
_CODE_OF = (
    (redis.exceptions.OutOfMemoryError, "OOM"),
    (redis.exceptions.ReadOnlyError, "READONLY"),
    (redis.exceptions.BusyLoadingError, "LOADING"),
    (redis.exceptions.MasterDownError, "MASTERDOWN"),
    (redis.exceptions.TryAgainError, "TRYAGAIN"),
    (redis.exceptions.ClusterDownError, "CLUSTERDOWN"),
    (redis.exceptions.NoPermissionError, "NOPERM"),
)
# An error inside a pipeline is reported as "Command # 2 (SET k v) of pipeline caused
# error: BUSY ..."; the code is the first upper-case word of what the server said.
_LEADING_CODE = re.compile(r"(?:^|caused error: )([A-Z]{3,})\b")


def _error_code(exc: redis.RedisError) -> str:
    for cls, code in _CODE_OF:
        if isinstance(exc, cls):
            return code
    status = getattr(exc, "status_code", None)
    if isinstance(status, str) and status:
        return status
    found = _LEADING_CODE.search(str(exc))
    return found.group(1) if found else ""


def failure(exc: redis.RedisError, where: str, source: str | None = None) -> RedisUnavailable:
    """The package's error for any redis-py error: the one place they are sorted.

    "Not now" (unreachable, timeouts, OOM, READONLY, BUSY, LOADING, MASTERDOWN ...) is
    :class:`RedisUnavailable`; what waiting will not fix is :class:`RedisRefused`, naming
    the cause and what to do: :class:`RedisPermissionDenied` for a refused ACL permission
    (``source``, the Lua source of a script that ran, lets it name the command), a wrong
    key type, a script error.
    """
    message = str(exc).strip() or type(exc).__name__
    denied = acl.permission_error(exc, where, source)
    if denied is not None:
        return denied
    if isinstance(exc, redis.AuthenticationError):
        return RedisRefused(
            where,
            f"authentication failed ({message})",
            "Check the user name and password in RQ_QUEUES.",
        )
    code = _error_code(exc)
    if code in _NOT_NOW:
        return RedisUnavailable(where, f"{code}: the server is {_NOT_NOW[code]}")
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
        return RedisUnavailable(where)
    if isinstance(exc, WatchError) and "ConnectionError" in message:
        # redis-py's words when the connection drops while keys are watched.
        return RedisUnavailable(where)
    if code == "NOPERM":
        return RedisRefused(
            where,
            f"the connection's ACL user lacks a permission: {message}",
            "Grant that user the commands and keys that rq and django-rq-poll use "
            "(see the deployment docs), or connect as another user in RQ_QUEUES.",
        )
    if code == "WRONGTYPE":
        return RedisRefused(
            where,
            f"a key holds another kind of value than expected ({message})",
            "Another program writes keys under the same names: give django-rq-poll its "
            "own RQ_POLL['PREFIX'] or its own Redis database.",
        )
    if "script" in message.lower():
        return RedisRefused(
            where,
            f"a server-side script failed ({message})",
            "Check that the server is Redis 6.2 or later with Lua scripting allowed; "
            "if it is, please report this error.",
        )
    return RedisRefused(
        where,
        f"{type(exc).__name__}: {message}",
        "Check the Redis server's log and configuration.",
    )


# Seconds a queue's worker count is reused (see Backend.worker_count).
WORKER_COUNT_TTL = 2.0


def _sha(source: str) -> str:
    return hashlib.sha1(source.encode()).hexdigest()


_RQ_PREFIXES = {
    "job": Job.redis_job_namespace_prefix,
    "results": Result.get_key(""),  # type: ignore[no-untyped-call]
    "executions": ExecutionRegistry.key_template.format(""),
    "wip": StartedJobRegistry.key_template.format(""),
}
_SOURCES = {
    "settle": scripts.SETTLE,
    "forget": scripts.FORGET,
    "admit": scripts.with_prefixes(scripts.ADMIT, **_RQ_PREFIXES, reservation=limits.RESERVATION),
}
_SHAS = {name: _sha(source) for name, source in _SOURCES.items()}
# Arguments of the hot path are passed as bytes: redis-py sends bytes as they are.
_LOOKUP_FLAGS = {
    (False, False): b"",
    (True, False): b"r",
    (False, True): b"m",
    (True, True): b"rm",
}


class Admission(NamedTuple):
    """What the admit script saw, inside the transaction that may start a job."""

    mapped: bool
    queue_length: int
    now: int
    active: int
    latest_deadline: int
    stale: list[bytes]

    @classmethod
    def parse(cls, reply: list[Any]) -> Admission:
        mapped, length, now, active, latest, *stale = reply
        return cls(bool(mapped), int(length), int(now), int(active), int(latest), stale)

    def check(self, gate: limits.Limits, queue_name: str) -> None:
        """Raise when starting one more job would break a limit."""
        if gate.max_active is not None and self.active >= gate.max_active:
            raise TooManyJobs(gate.visitor, gate.max_active)
        if gate.max_queue is not None and self.queue_length >= gate.max_queue:
            raise QueueFull(queue_name, self.queue_length, gate.max_queue)


class Snapshot(NamedTuple):
    """One job as a single lookup saw it.

    A named tuple rather than a frozen dataclass: just as immutable, and several
    times cheaper to build on the hot path.
    """

    task_id: str
    rq_status: str
    state: State
    abandoned: bool
    return_value: Any = None
    error: str | None = None
    meta: dict[str, Any] | None = None
    #: The name of the job's queue (rq's ``origin``); "" when not known.
    origin: str = ""


# An owner in meta that is not a short string or integer (written by hand, or garbage):
# it matches no user, so such a job answers nobody but staff tools.
UNREADABLE_OWNER = "\0unreadable owner"


def owner_in(meta: dict[str, Any]) -> str | None:
    """The owner recorded in a job's meta, as text; ``None`` when the job has none."""
    owner = meta.get(META_OWNER)
    if owner is None:
        return None
    if isinstance(owner, str) and len(owner) <= 256:
        return owner
    if isinstance(owner, int) and not isinstance(owner, bool) and abs(owner) < 10**64:
        return str(owner)
    return UNREADABLE_OWNER


def describe(connection: redis.Redis, queue_name: str | None = None) -> str:
    """Where a client connects, for error messages: never its password."""
    kwargs = connection.connection_pool.connection_kwargs
    # redis-py's defaults when the URL names no host or port
    host, port = kwargs.get("host") or "localhost", kwargs.get("port") or 6379
    location = kwargs.get("path") or f"{host}:{port}"
    queue = f", queue {queue_name!r}" if queue_name is not None else ""
    return f"{location} (db {kwargs.get('db', 0)}{queue})"


@contextlib.contextmanager
def unavailable_as(where: str) -> Iterator[None]:
    """Turn any redis-py error into the package's error naming ``where`` (see
    :func:`failure`): a refused ACL permission becomes :class:`RedisPermissionDenied`."""
    try:
        yield
    except redis.RedisError as exc:
        raise failure(exc, where) from exc


def lookup_args(
    polling_url: str | None, task_id: str | None, flags: bytes
) -> tuple[Any, ...] | None:
    """The lookup script's arguments (sync and async readers alike), or ``None`` for an
    id that cannot be a job's."""
    if polling_url is not None:
        return (b"1", keys.url_key_bytes(polling_url), flags)
    if keys.is_valid_job_id(task_id):
        return (b"0", flags, task_id)
    return None


def new_job_id() -> str:
    return uuid.uuid4().hex


class Backend:
    """One queue's connection, serializer and loaded scripts, built once and reused."""

    def __init__(self, queue: Queue) -> None:
        self.queue = queue
        self.connection: redis.Redis = queue.connection
        self.serializer = queue.serializer
        # Settings read once: a change of RQ_POLL builds new backends (see clear_cache).
        self._lookup_source = scripts.lookup_source(**_RQ_PREFIXES, abandoned_ttl=conf.FAILURE_TTL)
        self._lookup_sha = _sha(self._lookup_source).encode()
        self._origin = queue.name.encode()
        kwargs = self.connection.connection_pool.connection_kwargs
        self.identity = tuple(kwargs.get(k) for k in ("host", "port", "path", "db", "username"))
        self.where = describe(self.connection, queue.name)
        self._workers: tuple[float, int] | None = None  # (valid until, count)

    def errors(self) -> contextlib.AbstractContextManager[None]:
        return unavailable_as(self.where)

    def _raise_if_refused(self, exc: redis.ResponseError, source: str | None = None) -> None:
        """A refused ACL permission becomes an error that names it."""
        denied = acl.permission_error(exc, self.where, source)
        if denied is not None:
            raise denied from exc

    def _evalsha(self, client: Any, sha: Any, source: str, *args: Any) -> Any:
        # EVALSHA straight through execute_command: redis-py's Script wrapper adds
        # per-call work, and on a pipeline an extra SCRIPT EXISTS round trip.
        try:
            try:
                return client.execute_command("EVALSHA", sha, *args)
            except NoScriptError:  # a restarted or flushed server forgot it: load, retry once
                self.connection.script_load(source)
                return client.execute_command("EVALSHA", sha, *args)
        except redis.ResponseError as exc:
            self._raise_if_refused(exc, source)
            raise

    def _script(self, name: str, keys_: list[str], args: list[Any]) -> Any:
        return self._evalsha(
            self.connection, _SHAS[name], _SOURCES[name], len(keys_), *keys_, *args
        )

    def load_scripts(self) -> list[str]:
        """Load every script now (``rqpoll doctor``; lookups load them when missing)."""
        with self.errors():
            for source in (self._lookup_source, *_SOURCES.values()):
                self.connection.script_load(source)
        return ["lookup", *_SOURCES]

    # -- reading -----------------------------------------------------------------
    def lookup(
        self,
        polling_url: str | None,
        task_id: str | None,
        *,
        result: bool = False,
        meta: bool = False,
        client: Any = None,
    ) -> Snapshot | None:
        """Job state (and result, meta) for a URL or id, in one script call."""
        raw = self._run_lookup(polling_url, task_id, _LOOKUP_FLAGS[result, meta], client)
        if raw is None or b"\0" not in raw:  # no mapping, or the job is gone
            return None
        snap = self._decode(raw, meta)
        if not result and snap.rq_status == "finished" and not _was_read_back(raw):
            return self._read_back(snap.task_id, meta, client)
        return snap

    def state(self, polling_url: str | None, task_id: str | None) -> State | None:
        """Just the state: the same script call, reading only its first fields."""
        raw = self._run_lookup(polling_url, task_id, b"", None)
        if raw is None or b"\0" not in raw:
            return None
        head = raw.split(b"\0", 8)
        if head[2] == b"1":  # abandoned
            return State.FAILED
        if head[1] == b"finished" and (head[0], head[7]) not in _READ_BACK:
            snap = self._read_back(head[0].decode(), False, None)
            return snap.state if snap is not None else None
        return from_rq_status(head[1].decode())

    def _read_back(self, task_id: str, meta: bool, client: Any) -> Snapshot | None:
        """A finished job whose result this process has not read yet: read it now.

        A result that cannot be read back here makes the job failed for every function
        (state checks, check_status_or_begin, pages), not only for get_process_result.
        """
        snap = self.lookup(None, task_id, result=True, meta=meta, client=client)
        return snap._replace(return_value=None) if snap is not None else None

    def _run_lookup(
        self, polling_url: str | None, task_id: str | None, flags: bytes, client: Any
    ) -> Any:
        # The hot path of every polled page view: no generic _script/errors() layers,
        # arguments pre-encoded, nothing built that the call does not need.
        call = lookup_args(polling_url, task_id, flags)
        if call is None:
            return None
        client = self.connection if client is None else client
        try:
            return self._evalsha(client, self._lookup_sha, self._lookup_source, *call)
        except redis.RedisError as exc:
            raise failure(exc, self.where) from exc

    def _decode(self, raw: bytes, want_meta: bool) -> Snapshot:
        """Read the lookup script's one-string reply (layout in :mod:`.scripts`)."""
        head = raw.split(b"\0", 9)
        task_id = head[0].decode()
        rq_status = head[1].decode()
        abandoned = head[2] == b"1"
        entry_id, kind, value, exc_string = head[3:7]
        origin, meta = head[9], b""
        if want_meta:
            origin_length = int(head[8])
            origin, meta = origin[:origin_length], origin[origin_length:]
        state = State.FAILED if abandoned else from_rq_status(rq_status)
        # Only a value, an error or meta needs the serializer (not a state check).
        serializer: Any = self._serializer_of(origin) if (entry_id or meta) else None
        return_value: Any = None
        error: str | None = ABANDONED_ERROR if abandoned else None
        try:
            if value and not exc_string:
                # The hot path (a finished job's value): rq stores it base64-encoded after
                # its queue's serializer; decoding it here skips building a Result with
                # dates we do not read. tests/test_store.py checks that this answers what
                # rq's own return_value() answers.
                return_value = serializer.loads(base64.b64decode(value))
            elif entry_id:
                payload = {b"type": kind}
                if value:
                    payload[b"return_value"] = value
                if exc_string:
                    payload[b"exc_string"] = exc_string
                restored = Result.restore(
                    task_id,
                    entry_id.decode(),
                    payload,
                    connection=self.connection,
                    serializer=serializer,
                )
                return_value = restored.return_value
                if state is State.FAILED and error is None:
                    error = str(restored.exc_string or "")
        except Exception as exc:  # stored by a worker whose code or serializer differs
            return Snapshot(
                task_id,
                rq_status,
                State.FAILED,
                abandoned,
                error=UNREADABLE_ERROR.format(error=f"{type(exc).__name__}: {exc}"),
                origin=origin.decode(errors="replace"),
            )
        if entry_id and rq_status == "finished":
            _remember_read_back(raw)
        if state is State.FAILED and error is None:
            error = f"The job ended with status {rq_status!r}."
        meta_dict: dict[str, Any] | None = {} if want_meta else None  # as rq: {} when unset
        if meta:
            try:
                loaded = serializer.loads(meta)
            except Exception:  # a meta this serializer cannot read answers as empty
                loaded = {}
            meta_dict = loaded if isinstance(loaded, dict) else {}
        return Snapshot(
            task_id,
            rq_status,
            state,
            abandoned,
            return_value,
            error,
            meta_dict,
            origin.decode(errors="replace"),
        )

    def _serializer_of(self, origin: bytes) -> Any:
        """Jobs are decoded with their own queue's serializer (pickle and JSON can mix)."""
        if origin == self._origin:
            return self.serializer
        try:
            # A name that is not UTF-8 (a hand-written or corrupt hash) names no queue.
            return backend(origin.decode(errors="replace")).serializer
        except ImproperlyConfigured:
            return self.serializer

    def fetch_job(self, task_id: str) -> Job | None:
        """The rq Job, read with its own queue's serializer; ``None`` when gone."""
        if not keys.is_valid_job_id(task_id):
            return None
        with self.errors():
            origin = self.connection.hget(self.queue.job_class.key_for(task_id), "origin")
            serializer = self._serializer_of(_bytes(origin)) if origin else self.serializer
            try:
                return self.queue.job_class.fetch(
                    task_id, connection=self.connection, serializer=serializer
                )
            except NoSuchJobError:
                return None

    def queue_position(self, task_id: str) -> int | None:
        """The job's place in its queue, 1 for the next one taken; ``None`` when it is
        not in the queue's list (deferred, scheduled, or taken by a worker already)."""
        with self.errors():
            index = self.queue.get_job_position(task_id)
        return None if index is None else index + 1

    def worker_count(self) -> int:
        """Workers registered on this queue, remembered for WORKER_COUNT_TTL seconds:
        pages polled by many visitors ask once per process, not once per poll."""
        cached = self.remembered_worker_count()
        if cached is not None:
            return cached
        with self.errors():
            return self.remember_worker_count(Worker.count(queue=self.queue))

    @property
    def workers_key(self) -> str:
        """rq's set of the workers registered on this queue (what ``Worker.count`` reads)."""
        return WORKERS_BY_QUEUE_KEY % self.queue.name

    def remembered_worker_count(self) -> int | None:
        cached = self._workers
        return cached[1] if cached is not None and cached[0] > time.monotonic() else None

    def remember_worker_count(self, count: int) -> int:
        self._workers = (time.monotonic() + WORKER_COUNT_TTL, count)
        return count

    def mapped_task_id(self, polling_url: str) -> str | None:
        with self.errors():
            value = self.connection.get(keys.url_key(polling_url))
        return _text(value) if value is not None else None

    def iter_mappings(self) -> Iterator[tuple[str, str]]:
        """Every (mapping key, task id) pair, without blocking Redis."""
        with self.errors():
            for key in self.connection.scan_iter(match=keys.url_key_pattern(), count=500):
                value = self.connection.get(key)
                if value is not None:
                    yield _text(key), _text(value)

    # -- writing -----------------------------------------------------------------
    def enqueue(
        self,
        queue: Queue,
        job: Job,
        polling_url: str | None,
        gate: limits.Limits | None = None,
    ) -> None:
        """Enqueue the job and point the URL at it in one transaction (no checks: for a
        job begun inside a transaction, whose limits were checked when it was begun)."""
        key = keys.url_key(polling_url) if polling_url is not None else None
        with self.errors():
            if not queue.is_async:
                self._enqueue_sync(queue, job, key)
                return
            with self.connection.pipeline() as pipe:
                self._write(pipe, queue, job, key, gate, None)
                pipe.execute()

    def reserve(
        self, queue: Queue, polling_url: str | None, gate: limits.Limits, job_id: str
    ) -> None:
        """Check the limits and hold the visitor's slot for a job that will be enqueued
        when the caller's database transaction commits: counted at once, so racing
        requests in transactions of their own cannot pass the cap together.

        The slot counts for ``limits.RESERVED_SLOT`` seconds, or until the commit's enqueue
        replaces it with the job's own entry; a rolled-back transaction's slot lapses.
        """
        key = keys.url_key(polling_url) if polling_url is not None else ""
        visitor = keys.visitor_key(gate.visitor)
        with self.errors(), self.connection.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(visitor)  # type: ignore[no-untyped-call]
                    seen = self._admission(pipe, key, queue, gate)
                    seen.check(gate, queue.name)
                    pipe.multi()
                    deadline = seen.now + limits.RESERVED_SLOT
                    _hold_slot(pipe, visitor, limits.reserved(job_id), deadline, seen)
                    pipe.execute()
                    return
                except WatchError:
                    continue

    def start(
        self,
        queue: Queue,
        make_job: Callable[[], Job],
        polling_url: str | None,
        *,
        replace: bool,
        gate: limits.Limits | None = None,
    ) -> tuple[Snapshot | None, Job | None]:
        """Start a job, unless (without ``replace``) one in progress or finished answers
        the URL already, or the visitor of ``gate`` is over a limit (raises).

        One optimistic transaction: WATCH the mapping and the visitor's set, read both
        with one read-only script, then enqueue, map and count in MULTI/EXEC. Of any
        number of racers exactly one commits per free slot; the others retry and see it.
        """
        key = keys.url_key(polling_url) if polling_url is not None else None
        visitor = keys.visitor_key(gate.visitor) if gate is not None else None
        watched = [k for k in (None if replace else key, visitor) if k is not None]
        if not watched:  # begin_process without limits: nothing to check
            new = make_job()
            self.enqueue(queue, new, polling_url)
            return None, new
        job: Job | None = None
        with self.errors(), self.connection.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(*watched)  # type: ignore[no-untyped-call]
                    seen = self._admission(pipe, key or "", queue, gate)
                    if seen.mapped and not replace:
                        current = self.lookup(polling_url, None, client=pipe)
                        if current is not None and keeps(current):
                            pipe.unwatch()
                            return current, None
                    if gate is not None:
                        seen.check(gate, queue.name)
                    job = job or make_job()
                    if not queue.is_async:
                        pipe.unwatch()
                        self._enqueue_sync(queue, job, key)
                        return None, job
                    pipe.multi()
                    self._write(pipe, queue, job, key, gate, seen)
                    pipe.execute()
                    return None, job
                except WatchError:
                    continue

    def _admission(
        self, client: Any, key: str, queue: Queue, gate: limits.Limits | None
    ) -> Admission:
        keys_ = admission_keys(key, queue, gate)
        reply = self._evalsha(client, _SHAS["admit"], _SOURCES["admit"], len(keys_), *keys_)
        return Admission.parse(reply)

    def _write(
        self,
        pipe: Any,
        queue: Queue,
        job: Job,
        key: str | None,
        gate: limits.Limits | None,
        seen: Admission | None,
    ) -> None:
        """The writes of a start, queued on a pipeline in MULTI: enqueue, map, count."""
        queue.enqueue_job(job, pipeline=pipe)
        timeout = int(job.timeout) if job.timeout is not None else None
        lifetime = limits.active_lifetime(job.ttl, timeout, bool(job.retries_left))
        if key is not None:
            pipe.set(key, job.id, ex=lifetime)
        if gate is None:
            return
        visitor = keys.visitor_key(gate.visitor)
        now = seen.now if seen is not None else int(time.time())
        _hold_slot(pipe, visitor, job.id, now + (lifetime or limits.UNBOUNDED_SLOT), seen)
        if seen is None:  # enqueued on commit: the job's entry replaces its reservation
            pipe.zrem(visitor, limits.reserved(job.id))

    def _enqueue_sync(self, queue: Queue, job: Job, key: str | None) -> None:
        # An is_async=False queue runs the job inside enqueue_job, before any
        # transaction could commit: point the URL first, then settle its lifetime.
        if key is not None:
            self.connection.set(key, job.id)
        queue.enqueue_job(job)
        if key is not None:
            self.settle(key, job.id, settle_ttl(job))

    def settle(self, key: str, task_id: str, ttl: int) -> bool:
        """Give the mapping the job's remaining lifetime, if it still points at the job."""
        with self.errors():
            return bool(self._script("settle", [key], [task_id, ttl]))

    def forget_mapping(self, key: str, task_id: str) -> bool:
        with self.errors():
            return bool(self._script("forget", [key], [task_id]))

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
            pipe.delete(_RQ_PREFIXES["results"] + job.id)
            replies = pipe.execute()
        return bool(replies[hash_deleted])


def admission_keys(key: str, queue: Queue, gate: limits.Limits | None) -> list[str]:
    """The admit script's keys: the URL's mapping, the queue, the visitor's set if any."""
    return [key, queue.key] + ([keys.visitor_key(gate.visitor)] if gate else [])


def _hold_slot(pipe: Any, visitor: str, member: str, deadline: int, seen: Admission | None) -> None:
    """Count ``member`` against the visitor until ``deadline`` (in MULTI), dropping the
    entries the admit script found stale; the set lives as long as its last deadline."""
    if seen is not None and seen.stale:
        pipe.zrem(visitor, *seen.stale)
    pipe.zadd(visitor, {member: deadline})
    pipe.expireat(visitor, max(deadline, seen.latest_deadline if seen is not None else 0))


def _bytes(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


# Finished results this process has read back, by job id and rq's ended_at (which tells
# the runs of a repeated job apart): a state check of such a job needs no decoding. Only
# readable verdicts are kept, so a result that cannot be read is tried again each time.
_READ_BACK: set[tuple[bytes, bytes]] = set()
_READ_BACK_MAX = 4096


def _read_back_key(raw: bytes) -> tuple[bytes, bytes]:
    head = raw.split(b"\0", 8)
    return head[0], head[7]


def _was_read_back(raw: bytes) -> bool:
    return _read_back_key(raw) in _READ_BACK


def _remember_read_back(raw: bytes) -> None:
    if len(_READ_BACK) >= _READ_BACK_MAX:
        _READ_BACK.clear()  # crude but bounded: the ids being polled come back at once
    _READ_BACK.add(_read_back_key(raw))


def keeps(snapshot: Snapshot) -> bool:
    """A job that check_status_or_begin must not replace."""
    if snapshot.abandoned:
        return False
    return snapshot.state.in_progress or snapshot.state is State.COMPLETE


def settle_ttl(job: Job) -> int:
    """How long a finished job's mapping should live: as long as what rq keeps of it."""
    status = job.get_status(refresh=False)
    if status == "finished":
        return job.result_ttl if job.result_ttl is not None else RQ_DEFAULT_RESULT_TTL
    return job.failure_ttl if job.failure_ttl is not None else conf.FAILURE_TTL


_backends: dict[str, Backend] = {}
_default: Backend | None = None  # backend(), without reading settings on every lookup
_lock = threading.Lock()


def backend(queue_name: str | None = None) -> Backend:
    """The cached backend of a queue (default: ``RQ_POLL['QUEUE']``)."""
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


def queue_backend(queue_name: str | None) -> Backend:
    """Backend for enqueueing on a queue; it must share the mappings' Redis."""
    home = backend()
    if queue_name is None or queue_name == home.queue.name:
        return home
    other = backend(queue_name)
    if other.identity != home.identity:
        raise ImproperlyConfigured(
            f"Queue {queue_name!r} uses another Redis than RQ_POLL['QUEUE'] "
            f"({home.queue.name!r}); polling needs both on the same Redis database."
        )
    return other


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
            _READ_BACK.clear()


setting_changed.connect(clear_cache, dispatch_uid="django_rq_poll.store.clear_cache")
