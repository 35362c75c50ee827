"""Planning a start: the task, its arguments and rq options checked before Redis is touched.

Every way of starting a job (the API, its async twins, the pages) plans here, so a bad
argument gets the same clear error on every side, and a plan holds everything the start
transaction (:mod:`.writes`) needs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from rq.job import Callback, Job

from ..conf import DEFAULT_RESULT_TTL, conf
from . import limits, tasks
from .home import Home
from .meta import META_CALLBACKS, META_URL

# Options begin_process passes to rq's Queue.create_job, besides the ones it sets itself.
JOB_OPTIONS = frozenset(
    {
        "timeout",
        "result_ttl",
        "ttl",
        "failure_ttl",
        "description",
        "meta",
        "retry",
        "repeat",
        "on_success",
        "on_failure",
        "on_stopped",
        "webhooks",
        "at_front",
    }
)
_REFUSED = {
    "job_id": "ids are generated per run, so that old results never mix with new ones",
    "unique": "check_status_or_begin already starts at most one job per polling URL",
    "depends_on": "dependent jobs cannot be enqueued in the same transaction as the URL",
    "pipeline": "the enqueue and the URL mapping are written in one transaction of their own",
}
# The callbacks every job gets (django_rq_poll.callbacks): their paths are stored in
# each job's hash, so they never move.
CALLBACKS = "django_rq_poll.callbacks"
_EVENTS = ("success", "failure", "stopped")


@dataclass
class Plan:
    """Everything a start needs, validated before Redis is touched."""

    home: Home
    task: tasks.TaskRef
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    polling_url: str | None
    options: dict[str, Any]
    gate: limits.Limits | None = None
    #: When set, the job is scheduled for then (rq's scheduler) rather than queued.
    run_at: datetime | None = None

    def make_job(self) -> Job:
        queue = self.home.queue
        options = {**self.options, "meta": dict(self.options["meta"])}
        at_front = bool(options.pop("at_front", False))  # an enqueue's, not create_job's
        job = queue.create_job(
            self.task,  # type: ignore[type-var]
            args=self.args,
            kwargs=self.kwargs,
            job_id=uuid.uuid4().hex,
            **options,
        )
        job.enqueue_at_front = at_front
        try:
            job.data  # noqa: B018 -- serialize now, so a bad argument fails before anything is written
        except Exception as exc:
            raise TypeError(
                f"The arguments of {job.func_name} cannot be serialized by the queue "
                f"{queue.name!r}: {exc}"
            ) from exc
        return job


def plan(
    home: Home,
    task_method: object,
    task_args: Any,
    task_kwargs: Any,
    polling_url: str | None,
    cache_results: bool,
    job_options: dict[str, Any],
    visitor: str | None = None,
) -> Plan:
    """Check a start's arguments and options (``TypeError`` or ``ValueError`` naming the
    problem) and fill in the defaults; ``home`` is the mappings' queue."""
    task = tasks.resolve(task_method)
    if not isinstance(task_args, tuple | list):
        raise TypeError(f"task_args must be a tuple or list, not {type(task_args).__name__}.")
    if task_kwargs is not None and not isinstance(task_kwargs, dict):
        raise TypeError(f"task_kwargs must be a dict, not {type(task_kwargs).__name__}.")
    check_url(polling_url)
    limits.check_url(polling_url)
    gate = limits.for_visitor(visitor)
    options = dict(job_options)
    queue_name = options.pop("queue", None) or tasks.queue_of(task_method)
    for name, why in _REFUSED.items():
        if name in options:
            raise TypeError(f"begin_process() does not take {name}=: {why}.")
    unknown = set(options) - JOB_OPTIONS
    if unknown:
        raise TypeError(
            f"Unknown job option(s) {', '.join(sorted(unknown))}; "
            f"known: queue, {', '.join(sorted(JOB_OPTIONS))}."
        )
    if queue_name is not None and not isinstance(queue_name, str):
        raise TypeError("queue= takes the name of a queue in RQ_QUEUES.")
    target = home.for_queue(queue_name)
    meta = dict(options.get("meta") or {})
    if polling_url is not None:
        meta[META_URL] = polling_url
    options["meta"] = meta
    options.update(_callbacks(options, meta))
    if options.get("result_ttl") is None:
        options["result_ttl"] = _default_result_ttl(target.queue.name)
    if options.get("failure_ttl") is None:
        options["failure_ttl"] = conf.FAILURE_TTL
    if options.get("ttl") is None and gate is not None:
        # A visitor's page: it starts the job again when next requested, so a flood
        # drains by itself. Work started without a visitor (a model's save(), a command)
        # is never dropped from the queue unless the caller says so.
        options["ttl"] = conf.QUEUED_TTL
    return Plan(
        target,
        task,
        tuple(task_args),
        dict(task_kwargs or {}),
        polling_url if cache_results else None,
        options,
        gate,
    )


def _callbacks(job_options: dict[str, Any], meta: dict[str, Any]) -> dict[str, Callback]:
    """Our three callbacks, remembering the caller's own in ``meta`` (called first)."""
    chained: dict[str, list[Any]] = {}
    ours: dict[str, Callback] = {}
    for event in _EVENTS:
        theirs = job_options.pop(f"on_{event}", None)
        timeout = None
        if theirs is not None:
            if not isinstance(theirs, Callback):
                theirs = Callback(theirs)
            chained[event] = [theirs.name, theirs.timeout]
            timeout = theirs.timeout
        ours[f"on_{event}"] = Callback(f"{CALLBACKS}.on_{event}", timeout=timeout)
    if chained:
        meta[META_CALLBACKS] = chained
    return ours


def _default_result_ttl(queue_name: str) -> int:
    if conf.RESULT_TTL is not None:
        return conf.RESULT_TTL
    from django_rq.queues import get_result_ttl

    ttl = get_result_ttl(queue_name)
    return int(ttl) if ttl is not None else DEFAULT_RESULT_TTL


def deferred_to_commit() -> bool:
    """django-rq's commit modes other than 'auto' wait for the open transaction."""
    if not connection.in_atomic_block:
        return False
    from django_rq.queues import get_commit_mode

    return bool(get_commit_mode() != "auto")


def check_url(polling_url: object) -> None:
    if polling_url is not None and not isinstance(polling_url, str):
        raise TypeError(f"polling_url must be a string, not {type(polling_url).__name__}.")


def require(polling_url: str | None, task_id: str | None, caller: str) -> None:
    """A call that finds a job needs a URL or an id (a URL must be a string)."""
    if polling_url is None and task_id is None:
        raise ValueError(f"{caller}() needs a polling_url or a task_id to find the process.")
    check_url(polling_url)
