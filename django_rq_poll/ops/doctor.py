"""``rqpoll doctor``: the live Redis and workers checked against the deployment docs.

Each check answers one :class:`Finding`: ``ok``, ``warning``, ``problem`` (the command
exits non-zero) or ``unknown`` (what cannot be known from here, and why).
"""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime
from typing import Any

import redis
from rq import Worker
from rq.job import Job
from rq.registry import FailedJobRegistry

from ..conf import conf
from ..drivers.backends import Backend, server_result_limit
from ..drivers.backends import backend as queue_backend
from ..exceptions import RQPollError
from . import acl, notices, static, taskdoctor
from .findings import Finding

# The Redis version the suite runs against; others are not known to work or not to.
TESTED_REDIS = (7, 0)
# Words in a failed job's error that mean a worker could not read what the queue wrote.
_SERIALIZER_ERRORS = ("DeserializationError", "UnpicklingError", "JSONDecodeError")
_RECENT_FAILURES = 50
JUNK = (
    "rq cannot read the queue's {what}: it holds bytes rq never writes ({exc}); another "
    "program wrote to rq's keys. Find it, and remove what it wrote."
)


def canary() -> str:
    """The job ``--probe`` enqueues: a worker that can run it can read its queue."""
    return "ok"


def examine(*, probe: float | None = None) -> list[Finding]:
    """Every finding, Redis servers first, then each queue's workers, then static files.

    ``probe`` (seconds): also enqueue :func:`canary` on each queue a worker listens on
    and wait that long for its result, the one way to prove the serializers match.
    """
    from django_rq.settings import QUEUES

    home = conf.QUEUE
    names = [home, *sorted(name for name in QUEUES if name != home)]
    backends = {name: queue_backend(name) for name in names}
    findings: list[Finding] = []
    reachable: set[Any] = set()
    seen: set[Any] = set()
    for backend in backends.values():
        if backend.identity in seen:
            continue
        seen.add(backend.identity)
        server = _server(backend)
        findings += server
        if not any(f.check == "redis" and f.status == "problem" for f in server):
            reachable.add(backend.identity)
    for name, backend in backends.items():
        if backend.identity not in reachable:
            continue
        findings += _queue(backend, is_home=name == home, probe=probe)
    findings.append(static.check())  # the running pages' script, served or not
    return findings + taskdoctor.findings(taskdoctor.reachable(backends, reachable))


# -- one Redis server ------------------------------------------------------------
def _server(backend: Backend) -> list[Finding]:
    conn: Any = backend.connection  # redis-py leaves execute_command untyped
    where = backend.where.split(", queue", 1)[0] + ")"
    try:
        info = conn.info()
    except redis.RedisError as exc:
        return [Finding("redis", "problem", f"{where}: cannot read INFO: {exc}")]
    found = [Finding("redis", "ok", f"{where}: answering")]
    found.append(_version(str(info.get("redis_version", "?")), where))
    found.append(_eviction(info, where))
    found.append(_result_size(backend, where))
    found.append(acl.check(backend, where))
    found.append(_scripts(backend, where))
    return found


def _version(version: str, where: str) -> Finding:
    try:
        major, minor = (int(part) for part in version.split(".")[:2])
    except ValueError:
        return Finding("version", "unknown", f"{where}: Redis reports version {version!r}")
    tested = ".".join(map(str, TESTED_REDIS))
    if (major, minor) == TESTED_REDIS:
        return Finding("version", "ok", f"{where}: Redis {version}, the version tested")
    if (major, minor) < (6, 2):
        return Finding(
            "version", "problem", f"{where}: Redis {version}: older than 6.2, not supported"
        )
    return Finding(
        "version", "warning", f"{where}: Redis {version}: not tested (the suite runs on {tested})"
    )


def _eviction(info: dict[str, Any], where: str) -> Finding:
    policy = info.get("maxmemory_policy")
    if policy is None:
        return Finding("eviction", "unknown", f"{where}: INFO does not report maxmemory_policy")
    if policy == "noeviction":
        limit = int(info.get("maxmemory", 0) or 0)
        note = f"maxmemory {limit} bytes" if limit else "no maxmemory set"
        return Finding("eviction", "ok", f"{where}: maxmemory-policy noeviction ({note})")
    return Finding(
        "eviction",
        "problem",
        f"{where}: maxmemory-policy {policy}: Redis may evict rq's queues or a running job's "
        "bookkeeping when memory runs short. Set maxmemory-policy noeviction.",
    )


def _result_size(backend: Backend, where: str) -> Finding:
    """MAX_RESULT_BYTES against what the server can store (proto-max-bulk-len)."""
    server, ours = server_result_limit(backend.connection), conf.MAX_RESULT_BYTES
    if server is None:
        return Finding(
            "result size",
            "unknown",
            f"{where}: the server does not say its proto-max-bulk-len (CONFIG GET refused); "
            f"results are refused over RQ_POLL['MAX_RESULT_BYTES'] ({ours})",
        )
    if ours is not None and ours <= server:
        return Finding(
            "result size", "ok", f"{where}: results up to {ours:,} bytes, which it can store"
        )
    return Finding(
        "result size",
        "warning",
        f"{where}: proto-max-bulk-len lets rq store results up to {server:,} bytes, less than "
        f"RQ_POLL['MAX_RESULT_BYTES'] ({ours}): larger results fail. Lower the setting or "
        "raise proto-max-bulk-len.",
    )


def _scripts(backend: Backend, where: str) -> Finding:
    try:
        names = backend.load_scripts()
    except (redis.RedisError, RQPollError) as exc:
        return Finding("scripts", "problem", f"{where}: SCRIPT LOAD failed: {exc}")
    return Finding("scripts", "ok", f"{where}: the {', '.join(names)} scripts load")


# -- one queue ---------------------------------------------------------------------
def _queue(backend: Backend, *, is_home: bool, probe: float | None) -> list[Finding]:
    queue = backend.queue
    if not queue.is_async:
        return [Finding("workers", "ok", "ASYNC is off: jobs run in the web process", queue.name)]
    try:
        workers = Worker.all(queue=queue)
    except redis.RedisError as exc:
        return [Finding("workers", "problem", f"cannot list workers: {exc}", queue.name)]
    except ValueError as exc:  # UnicodeDecodeError too: bytes rq never writes
        return [Finding("workers", "problem", JUNK.format(what="worker set", exc=exc), queue.name)]
    found = []
    if workers:
        names = ", ".join(sorted(w.name for w in workers))
        found.append(
            Finding("workers", "ok", f"{len(workers)} worker(s) listening: {names}", queue.name)
        )
    else:
        found.append(
            Finding(
                "workers",
                "problem" if is_home else "warning",
                "no worker listens on this queue: its jobs wait until one starts"
                + (" (it is RQ_POLL['QUEUE'])" if is_home else ""),
                queue.name,
            )
        )
    evidence = _serializer_evidence(backend)
    if probe and workers:
        # The probe proves what the evidence could not: an "unknown" gives way to it.
        if evidence.status != "unknown":
            found.append(evidence)
        found.append(_probe(backend, probe))
    else:
        found.append(evidence)
    return found


def _serializer_evidence(backend: Backend) -> Finding:
    """The queue's recent failures that a worker could not read. Only those after the
    oldest of the workers running now speak of them; older ones (a worker since fixed and
    restarted) are named apart, as history."""
    queue = backend.queue
    serializer = _name(backend.serializer)
    registry = FailedJobRegistry(queue=queue)
    try:  # the newest last: ZRANGE, which the documented ACL user has (not ZREVRANGE)
        recent = registry.get_job_ids(-_RECENT_FAILURES, -1, cleanup=False)
        births = [w.birth_date for w in Worker.all(queue=queue) if w.birth_date is not None]
    except redis.RedisError as exc:
        return Finding("serializer", "unknown", f"cannot read failed jobs: {exc}", queue.name)
    except ValueError as exc:  # UnicodeDecodeError too: bytes rq never writes
        what = "failed-job registry or worker set"
        return Finding("serializer", "unknown", JUNK.format(what=what, exc=exc), queue.name)
    since = min((_aware(b) for b in births), default=None)
    now: list[str] = []
    before: list[str] = []
    for task_id in recent:
        error, ended = _failure(backend, task_id)
        if any(word in error for word in _SERIALIZER_ERRORS):
            (now if since is None or ended is None or ended >= since else before).append(task_id)
    advice = f"Start rqworker with --serializer {serializer}."
    if now and since is not None:
        return Finding(
            "serializer",
            "problem",
            f"{len(now)} of the last {_RECENT_FAILURES} failed jobs could not be read by a "
            f"worker running now (e.g. {now[0]}): it runs another serializer than the "
            f"queue's {serializer}. {advice}",
            queue.name,
        )
    if now or before:
        old = now + before
        return Finding(
            "serializer",
            "warning",
            f"{len(old)} failed jobs could not be read by workers no longer running "
            f"(e.g. {old[0]}), none since the current workers started: if those were "
            f"started with --serializer {serializer}, this is history. `rqpoll doctor "
            "--probe` proves it.",
            queue.name,
        )
    return Finding(
        "serializer",
        "unknown",
        f"the queue uses {serializer}; rq does not record which serializer a worker runs, "
        "and no recent failure shows a mismatch. `rqpoll doctor --probe` runs a test job "
        "to prove it.",
        queue.name,
    )


def _failure(backend: Backend, task_id: str) -> tuple[str, datetime | None]:
    """A failed job's error text and when it ended ("" and None if unreadable)."""
    try:
        job = Job.fetch(task_id, connection=backend.connection, serializer=backend.serializer)
        result = job.latest_result()
    except Exception:  # a job that cannot even be fetched says nothing here
        return "", None
    ended = _aware(job.ended_at) if job.ended_at is not None else None
    return (str(result.exc_string or "") if result is not None else ""), ended


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _probe(backend: Backend, seconds: float) -> Finding:
    queue = backend.queue
    job = queue.enqueue(canary, result_ttl=60, failure_ttl=300, description="rqpoll doctor")
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            status = job.get_status(refresh=True)
            if status == "finished":
                value = job.return_value(refresh=True)
                if value == "ok":
                    return Finding(
                        "serializer",
                        "ok",
                        "a worker ran a test job and its result reads back: the serializers match",
                        queue.name,
                    )
                return Finding("serializer", "problem", f"test job answered {value!r}", queue.name)
            if status in ("failed", "stopped", "canceled"):
                result = job.latest_result()
                error = (result.exc_string or "").strip().splitlines() if result else []
                word = getattr(status, "value", status)  # rq's JobStatus: "JobStatus.FAILED"
                return Finding(
                    "serializer",
                    "problem",
                    f"the test job {word}: {error[-1] if error else 'no error text'}. Does "
                    f"the worker run --serializer {_name(backend.serializer)}?",
                    queue.name,
                )
            time.sleep(0.1)
        return Finding(
            "serializer",
            "warning",
            f"no worker ran the test job within {seconds:g} s (busy workers?)",
            queue.name,
        )
    finally:
        with contextlib.suppress(redis.RedisError, RQPollError):
            backend.delete_job(job)


def _name(serializer: Any) -> str:
    """The serializer as a finding names it: its ``--serializer`` path, or rq's default."""
    path = notices.dotted_path(serializer)
    return "pickle (rq's default)" if path == notices.RQ_DEFAULT_SERIALIZER else path
