"""What a madrona app reads of a job by Celery's words: its state, its result, and the
``AsyncResult`` that ``delay`` answers. :mod:`django_rq_poll.compat.madrona` gives the
same names; this module holds them so that the ``@task`` decorator can answer an
``AsyncResult`` without importing the module that re-exports it."""

from __future__ import annotations

import time
from typing import Any

from .. import api
from ..core.states import State
from ..exceptions import ProcessFailed
from .failures import rebuilt

#: Celery's word for each :class:`~django_rq_poll.State`, as ``get_process_status`` answers.
CELERY_STATES: dict[State, str] = {
    State.PENDING: "PENDING",
    State.RUNNING: "STARTED",
    State.COMPLETE: "SUCCESS",
    State.FAILED: "FAILURE",
    State.CANCELED: "REVOKED",
}
# rq's status of a running job stopped on request (cancel_process): Celery's revoke with
# terminate=True answers REVOKED, so this does too, though the main API says FAILED.
_RQ_STOPPED = "stopped"


def get_process_status(polling_url: str | None = None, task_id: str | None = None) -> str | None:
    """Celery's word for the job: ``PENDING``, ``STARTED``, ``SUCCESS``, ``FAILURE`` or
    ``REVOKED`` (see :data:`CELERY_STATES`); ``None`` when no job is known.

    Differs from Celery: an unknown or expired id is ``None``, not ``PENDING`` (Celery
    cannot tell "queued" from "never heard of"; a page waiting on that waited for ever).
    A job whose worker died reads ``FAILURE`` after about 90 seconds instead of
    ``STARTED`` for ever. Celery's ``RETRY`` reads ``PENDING`` (rq re-queues the job), and
    custom states set with ``update_state`` do not exist: report progress with
    :func:`django_rq_poll.set_progress` instead. The main API answers a
    :class:`~django_rq_poll.State`.
    """
    snap = api.get_process_snapshot(polling_url, task_id)
    if snap is None:
        return None
    if snap.rq_status == _RQ_STOPPED and not snap.abandoned:
        return CELERY_STATES[State.CANCELED]
    return CELERY_STATES[snap.state]


def get_process_result(polling_url: str | None = None, task_id: str | None = None) -> Any:
    """The task's return value once finished; for a failed, stopped or canceled job the
    error as an exception instance (returned, not raised, as Celery's ``result`` does);
    ``None`` while queued or running, and when no job is known.

    The instance is of the task's own exception class (``isinstance(res, MarxanError)``
    holds) when this process has imported that class's module and the class, built from
    the task's message alone, gives back that message; its text is the message, and it
    carries ``task_id`` and ``error`` (rq's traceback, for staff). Nothing is unpickled:
    rq keeps only the traceback's text, read by name. Otherwise (a class that needs
    other arguments, a module not loaded here, a dead worker, a canceled job) it is a
    :class:`~django_rq_poll.ProcessFailed`, whose text is the message too. The main
    API's :func:`~django_rq_poll.get_process_result` raises ``ProcessFailed`` instead.
    """
    snap = api.get_process_snapshot(polling_url, task_id, result=True)
    if snap is None or snap.state.in_progress:
        return None
    if snap.state is State.COMPLETE:
        return snap.return_value
    if snap.state is State.CANCELED:
        return ProcessFailed(snap.task_id, "TaskRevokedError: the job was canceled.")
    return rebuilt(ProcessFailed(snap.task_id, snap.error or ""))


class AsyncResult:
    """What ``delay`` answers: the job's id, and Celery's ways of asking after it."""

    def __init__(self, task_id: str) -> None:
        self.id = self.task_id = task_id

    def __repr__(self) -> str:
        return f"<AsyncResult: {self.id}>"

    @property
    def status(self) -> str | None:
        """Celery's word (``PENDING``, ``STARTED``, ``SUCCESS``, ``FAILURE``, ``REVOKED``);
        ``None`` once the job is unknown or expired."""
        return get_process_status(task_id=self.id)

    state = status

    @property
    def result(self) -> Any:
        """The return value, the task's exception instance, or ``None`` while unfinished."""
        return get_process_result(task_id=self.id)

    def ready(self) -> bool:
        return self.status in ("SUCCESS", "FAILURE", "REVOKED")

    def successful(self) -> bool:
        return self.status == "SUCCESS"

    def failed(self) -> bool:
        return self.status in ("FAILURE", "REVOKED")

    def get(
        self, timeout: float | None = None, propagate: bool = True, interval: float = 0.5
    ) -> Any:
        """Wait for the job and answer its return value; raise the task's exception
        (``propagate``, as Celery) or return it. ``TimeoutError`` after ``timeout``
        seconds; ``LookupError`` when the job is unknown or has expired."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            snap = api.get_process_snapshot(task_id=self.id, result=True)
            if snap is None:
                raise LookupError(f"Job {self.id} is unknown or its result has expired.")
            if snap.state is State.COMPLETE:
                return snap.return_value
            if snap.state.done:
                error = get_process_result(task_id=self.id)
                if propagate and isinstance(error, BaseException):
                    raise error
                return error
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"Job {self.id} did not finish within {timeout} seconds.")
            time.sleep(interval)

    wait = get
