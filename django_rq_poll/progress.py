"""Progress reported from inside a running job, read back by polling pages."""

from __future__ import annotations

from rq import get_current_job

from .core.errors import describe, unavailable_as
from .core.meta import META_PROGRESS
from .core.progress import MESSAGE_LIMIT, Progress, problem
from .push import publish

__all__ = ["MESSAGE_LIMIT", "Progress", "set_progress"]


def set_progress(current: float, total: float | None = None, message: str = "") -> bool:
    """Record progress for the job this code runs in.

    ``current`` is a finite number >= 0, ``total`` a finite number > 0 or ``None``,
    ``message`` a string of at most ``MESSAGE_LIMIT`` (1,000) characters; anything else
    raises ``ValueError`` naming the problem, before anything is written. Returns
    ``False`` (and does nothing) when called outside an rq job, so a task function can
    still be called directly, for example in a unit test.
    Raises :class:`~django_rq_poll.RedisUnavailable` when Redis cannot serve.
    """
    found = problem(current, "current", minimum_excluded=False)
    if found is None and total is not None:
        found = problem(total, "total", minimum_excluded=True)
    if found is None and not isinstance(message, str):
        found = f"message must be a string, not {type(message).__name__}."
    if found is None and len(message) > MESSAGE_LIMIT:
        found = (
            f"message must be at most {MESSAGE_LIMIT} characters, not {len(message)}: "
            "report details elsewhere (the job's result, a log)."
        )
    if found is not None:
        raise ValueError(f"set_progress(): {found}")
    job = get_current_job()
    if job is None:
        return False
    previous = job.meta.get(META_PROGRESS)
    # A counter that only grows while the job runs: streams build their event ids from it.
    seq = previous.get("seq", 0) if isinstance(previous, dict) else 0
    seq = seq + 1 if isinstance(seq, int) and not isinstance(seq, bool) else 1
    job.meta[META_PROGRESS] = {"current": current, "total": total, "message": message, "seq": seq}
    with unavailable_as(describe(job.connection, job.origin)):
        job.save_meta()  # type: ignore[no-untyped-call]
        publish.announce(job.connection, job.id, publish.PROGRESS)
    return True
