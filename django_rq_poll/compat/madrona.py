"""madrona's ``madrona.async.ProcessHandler`` functions, over django-rq-poll.

An app written against madrona (or MarineMap's later ``lingcod.async``) changes its
imports and nothing else::

    # from madrona.async.ProcessHandler import check_status_or_begin, get_process_status
    from django_rq_poll.compat.madrona import check_status_or_begin, get_process_status
    # from celery.task import task
    from django_rq_poll.compat.madrona import task

The names, arguments, return shapes and status words are madrona's: ``check_status_or_begin``
returns ``(status_html, task_id)``, starts finished work again and replaces a job still
queued when the arguments differ; ``get_process_status`` answers Celery's words;
``get_process_result`` hands back a failure as an instance of the task's own exception
class when it can be rebuilt from its message; ``get_url_from_taskid`` raises
``ValueError`` for a job no URL maps to. Everything goes through :mod:`django_rq_poll.api`,
so the fixes made there hold here too: any number of simultaneous calls for one URL
start one job, failures and dead workers read as ``FAILURE`` rather than pending for
ever, and an expired or unknown id reads as not started (``None``) where Celery said
``PENDING``. Each function's docstring says where it differs from madrona and from the
main API, and why.

Results last ``RQ_POLL['RESULT_TTL']`` (one day unless django-rq or the site says
otherwise), as Celery's result backends kept them a day; madrona kept only its URL-to-id
table. See ``docs/migrating.rst`` for what expires when, and for keeping results in the
app's own models.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from .. import api
from ..core.states import State
from .celery_results import CELERY_STATES, AsyncResult, get_process_result, get_process_status
from .celery_tasks import BoundTask, current_task, task, update_state

__all__ = [
    "CELERY_STATES",
    "AsyncResult",
    "BoundTask",
    "check_status_or_begin",
    "current_task",
    "get_process_result",
    "get_process_status",
    "get_taskid_from_url",
    "get_url_from_taskid",
    "process_is_complete",
    "process_is_pending",
    "process_is_running",
    "process_is_running_or_complete",
    "task",
    "update_state",
]

TEMPLATE_DIR = "django_rq_poll/compat/madrona"
#: Rendered when ``check_status_or_begin`` started a job.
STARTING_TEMPLATE = f"{TEMPLATE_DIR}/starting_process.html"
#: Rendered when ``check_status_or_begin`` found the job queued or running.
ALREADY_TEMPLATE = f"{TEMPLATE_DIR}/already_processing.html"


def _render(template: str, task_id: str, polling_url: str | None) -> str:
    context = {"task_id": task_id, "polling_url": polling_url}
    return render_to_string(template, context).strip()


def check_status_or_begin(
    task_method: Any,
    task_args: tuple[Any, ...] | list[Any] = (),
    task_kwargs: dict[str, Any] | None = None,
    polling_url: str | None = None,
    task_id: str | None = None,
    check_running: bool = True,
    cache_results: bool = True,
    **job_options: Any,
) -> tuple[str, str]:
    """Start the task unless it is already queued or running; return ``(html, task_id)``.

    ``html`` is ``starting_process.html`` rendered when this call started a job,
    ``already_processing.html`` when it found one queued or running (templates under
    ``django_rq_poll/compat/madrona/``, context ``task_id`` and ``polling_url``);
    ``task_id`` names that job. As in madrona, a finished job is run again: this
    function never serves a cached result (check :func:`process_is_complete` first for
    that), and with ``check_running=False``, or with neither ``polling_url`` nor
    ``task_id``, a new job starts whatever is running. With ``cache_results=False`` the
    new job is not remembered under ``polling_url``, and the URL's old result is forgotten.

    Differences from madrona, on purpose:

    - A queued job counts as running when this call's arguments are the same (function
      and arguments, compared serialized). madrona looked at Celery's ``STARTED`` only, so
      every request before a worker picked the task up queued another copy; here any
      number of simultaneous calls for one URL start exactly one job (``check_running``
      true), including when they all find a finished job to run again. With other
      arguments the queued job is replaced, as madrona started a new task then, but
      atomically: it is deleted and the new one enqueued and mapped in one transaction,
      and a worker that takes it first makes it running, and kept.
    - A job whose worker died, or whose result expired, is started again rather than
      reported as running or pending for ever.
    - ``cache_results=False`` works (madrona ignored it). ``task_kwargs`` defaults to
      ``None`` rather than a shared ``{}``.
    - Extra keyword arguments go to rq as in :func:`django_rq_poll.begin_process`
      (``queue``, ``timeout``, ``result_ttl`` ...).

    Differences from :func:`django_rq_poll.check_status_or_begin`: that one serves a
    finished result until it expires and returns a :class:`~django_rq_poll.StatusText`;
    this one re-runs finished work and returns a pair, as madrona callers unpack it.
    """
    if polling_url is None and task_id is None:
        check_running = False
    url = polling_url if cache_results else None
    seen = None
    if check_running:
        # As madrona: by task_id when given, else by URL.
        seen = api.get_process_snapshot(polling_url if task_id is None else None, task_id)
        # A job still queued for the URL is the main API's to keep or replace (below).
        queued = seen is not None and seen.rq_status == "queued" and url is not None
        if seen is not None and seen.state.in_progress and not (queued and task_id is None):
            return _render(ALREADY_TEMPLATE, seen.task_id, polling_url), seen.task_id
    if url is None or not check_running:
        if polling_url is not None and not cache_results:
            api.forget_process(polling_url)
        started = api.begin_process(task_method, task_args, task_kwargs, url, **job_options)
        return _render(STARTING_TEMPLATE, started, polling_url), started
    mapped = seen if task_id is None else api.get_process_snapshot(url)
    if mapped is not None and mapped.state is State.COMPLETE:
        # Forget exactly the finished job seen here (the mapping is compare-and-deleted),
        # then start unless a racer already has: all racers end up with one new job.
        api.forget_process(url, mapped.task_id)
    # A job still waiting for a worker is replaced when this call's arguments differ (as
    # madrona started a new task then), atomically; identical calls share it.
    text = api.check_status_or_begin(
        task_method, task_args, task_kwargs, url, replace_queued=True, **job_options
    )
    template = STARTING_TEMPLATE if text.started else ALREADY_TEMPLATE
    return _render(template, text.task_id, polling_url), text.task_id


def process_is_running_or_complete(
    polling_url: str | None = None, task_id: str | None = None
) -> bool:
    """True while a worker runs the job (``STARTED``) or once it has finished (``SUCCESS``).

    As in madrona, a queued job is neither: use :func:`process_is_pending` for it. (The
    main API's function of this name is true for queued jobs too.)
    """
    return get_process_status(polling_url, task_id) in ("STARTED", "SUCCESS")


def process_is_running(polling_url: str | None = None, task_id: str | None = None) -> bool:
    """True while a live worker runs the job (Celery's ``STARTED``)."""
    return api.process_is_running(polling_url, task_id)


def process_is_pending(polling_url: str | None = None, task_id: str | None = None) -> bool:
    """True while the job waits for a worker.

    Differs from Celery: an unknown or expired id is not pending.
    """
    return api.process_is_pending(polling_url, task_id)


def process_is_complete(polling_url: str | None = None, task_id: str | None = None) -> bool:
    """True once the job has finished and its result is still kept (``SUCCESS``)."""
    return api.process_is_complete(polling_url, task_id)


def get_taskid_from_url(polling_url: str | None) -> str | None:
    """The id of the job whose result the URL stands for, or ``None`` (also for a
    ``None`` URL, as madrona's table lookup answered).

    Differs from madrona: ``None`` too once that job (or its result) has expired, where
    madrona's table kept the id of a task Celery had forgotten. (The main API's function
    raises ``ValueError`` for a ``None`` URL.)
    """
    if polling_url is None:
        return None
    return api.get_taskid_from_url(polling_url)


def get_url_from_taskid(task_id: str | None) -> str | None:
    """The polling URL whose result this job is; ``None`` for an id no job has (unknown,
    or expired with its result).

    As in madrona, ``ValueError`` for a job no URL maps to: started without a URL or with
    ``cache_results=False``, or replaced since by a newer job for its URL. (The main
    API's function answers ``None`` for those, names the URL a job was started for,
    replaced or not, and raises ``ValueError`` for a ``None`` id.)
    """
    if task_id is None:
        return None
    snap = api.get_process_snapshot(task_id=task_id)
    if snap is None:
        return None
    url = api.get_url_from_taskid(task_id)
    if url is None or api.get_taskid_from_url(url) != task_id:
        raise ValueError(f"Task id {task_id!r} does not map to any known polling URL.")
    return url
