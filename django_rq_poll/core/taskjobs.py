"""Django's tasks (``django.tasks`` or the ``django-tasks`` backport) as rq jobs.

A task runs as the rq function ``RUNNER + <the task's module path>`` (see
:mod:`django_rq_poll.backends.run`): the plain ``rqworker`` imports it, and rq's dashboard
lists the job under the task's own name. Starting one is the same start as every job's
(:func:`.calls.start_job`); reading one is one script call (:data:`TASK_LOOKUP`) that
returns the job's hash fields and all its results, decoded here into a :class:`TaskJob`.
Nothing here builds Django's ``TaskResult``: that is the backend's (it needs Django's
task classes, which the core does not import).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from rq.job import Job
from rq.registry import ScheduledJobRegistry
from rq.results import Result

from ..exceptions import RQPollError
from . import keys, rqlayout, scripts
from .calls import start_job
from .home import Home
from .ops import Program, Script
from .plan import plan
from .states import State, from_rq_status
from .tasks import RUNNER

#: Where a task's worker records each attempt, in order: ``{"worker": name,
#: "started_at": ISO time}``, and ``"error": [class path, traceback]`` when the task raised
#: (rq keeps no result of an attempt it retries).
META_ATTEMPTS = "rq_poll_task_attempts"
#: The alias of the ``TASKS`` backend that enqueued the job.
META_BACKEND = "rq_poll_task_backend"
# Results read per job at most (rq keeps fewer: its stream is trimmed).
MAX_RESULTS = 100

# The hash fields read, in this order (rq's names).
FIELDS = (
    "status",
    "origin",
    "data",
    "created_at",
    "enqueued_at",
    "started_at",
    "ended_at",
    "worker_name",
    "meta",
    "description",
)

# ARGV: job id. Returns false when there is no such job, else
# {HMGET of FIELDS, abandoned (1/0), XRANGE of its results, scheduled time or false}.
TASK_LOOKUP = r"""
@IS_ABANDONED@
local id = ARGV[1]
local f = redis.call('HMGET', @JOB@ .. id, @FIELDS@)
if not f[1] then return false end
local abandoned = 0
if f[1] == 'started' then
  local t = redis.call('TIME')
  if is_abandoned(id, f[2] or '', tonumber(t[1]) + tonumber(t[2]) / 1000000) then abandoned = 1 end
end
local results = redis.call('XRANGE', @RESULTS@ .. id, '-', '+', 'COUNT', @MAX_RESULTS@)
local at = false
if f[1] == 'scheduled' then at = redis.call('ZSCORE', @SCHEDULED@ .. (f[2] or ''), id) end
return {f, abandoned, results, at}
"""


def _source() -> str:
    fields = ", ".join(f"'{name}'" for name in FIELDS)
    source = TASK_LOOKUP.replace("@FIELDS@", fields).replace("@MAX_RESULTS@", str(MAX_RESULTS))
    return scripts.with_prefixes(
        source, **rqlayout.PREFIXES, scheduled=ScheduledJobRegistry.key_template.format("")
    )


SOURCE = _source()
SHA = scripts.sha(SOURCE)


class UnreadableJob(RQPollError):
    """A job's hash or results hold what rq cannot read back."""


class TaskJob(NamedTuple):
    """A task's job as one lookup saw it."""

    job: Job
    #: Its results, oldest first (one per attempt that ended).
    results: list[Result]
    state: State
    #: When a scheduled job is due (rq's scheduled registry); ``None`` otherwise.
    run_at: datetime | None


def task_path(func_name: str | None) -> str | None:
    """The module path of the task a job runs; ``None`` for a job that runs no task."""
    if func_name and func_name.startswith(RUNNER) and len(func_name) > len(RUNNER):
        return func_name[len(RUNNER) :]
    return None


# -- starting -------------------------------------------------------------------------
def start(
    home: Home,
    /,
    module_path: str,
    args: list[Any],
    kwargs: dict[str, Any],
    *,
    run_at: datetime | None = None,
    **job_options: Any,
) -> Program[Job]:
    """Start a task's job as every job starts (the commit rule included): queued, or
    with ``run_at`` scheduled. Returns the job (not yet in Redis when enqueued on commit)."""
    the_plan = plan(home, RUNNER + module_path, args, kwargs, None, True, job_options)
    the_plan.run_at = run_at
    return (yield from start_job(the_plan))


# -- reading --------------------------------------------------------------------------
def lookup(home: Home, /, task_id: str) -> Program[TaskJob | None]:
    """The job named ``task_id`` with all its results, in one script call; ``None`` when
    there is no such job (or the id cannot be one)."""
    if not keys.is_valid_job_id(task_id):
        return None
    raw = yield Script(SHA, SOURCE, (0, task_id))
    if not raw:
        return None
    fields, abandoned, entries, at = raw
    found = dict(zip(FIELDS, fields, strict=True))
    serializer = home.serializer_of(found.get("origin") or b"")
    job = home.queue.job_class(id=task_id, connection=home.queue.connection, serializer=serializer)
    try:
        job.restore({name: value for name, value in found.items() if value is not None})
        results = [
            Result.restore(task_id, _text(entry_id), _pairs(flat), job.connection, serializer)
            for entry_id, flat in entries
        ]
    except Exception as exc:  # bytes no rq wrote (another program), or another serializer's
        reason = f"{type(exc).__name__}: {exc}"
        raise UnreadableJob(f"Job {task_id!r} cannot be read here ({reason}).") from exc
    status = _text(found["status"])
    state = State.FAILED if abandoned == 1 else from_rq_status(status)
    run_at = datetime.fromtimestamp(float(at), tz=UTC) if at else None
    return TaskJob(job, results, state, run_at)


def _text(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _pairs(flat: Any) -> dict[bytes, bytes]:
    # redis-py gives a stream entry's fields as a dict or as a flat list, by version.
    if isinstance(flat, Mapping):
        return dict(flat)
    return dict(zip(flat[::2], flat[1::2], strict=True))
