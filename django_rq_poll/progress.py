"""Progress reported from inside a running job, read back by polling pages."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rq import get_current_job

from . import publish
from .store import META_PROGRESS, describe, unavailable_as

#: The longest progress message :func:`set_progress` accepts, in characters.
MESSAGE_LIMIT = 1000


@dataclass(frozen=True)
class Progress:
    """How far a job says it has come."""

    current: float
    total: float | None = None
    message: str = ""

    @property
    def percent(self) -> int | None:
        """Whole percent done (0-100), or ``None`` when the total is unknown."""
        if not self.total:
            return None
        try:
            ratio = self.current / self.total
        except (ArithmeticError, TypeError):  # a Progress built by hand from odd values
            return None
        if math.isnan(ratio):
            return None
        return 100 if ratio >= 1 else 0 if ratio <= 0 else math.floor(100 * ratio)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for a JSON response, ``percent`` included."""
        return {
            "current": self.current,
            "total": self.total,
            "message": self.message,
            "percent": self.percent,
        }

    @classmethod
    def from_meta(cls, meta: dict[str, Any] | None) -> Progress | None:
        """Read what :func:`set_progress` stored in a job's meta; ``None`` if nothing usable.

        Meta can hold anything (an older version, a task writing it by hand, another
        program): only finite, non-negative numbers and a string message are read, the
        message cut to ``MESSAGE_LIMIT`` (1,000) characters.
        """
        raw = (meta or {}).get(META_PROGRESS)
        if not isinstance(raw, dict):
            return None
        current: Any = raw.get("current")
        total: Any = raw.get("total")
        message: Any = raw.get("message", "")
        if _problem(current, "current", minimum_excluded=False) or not isinstance(message, str):
            return None
        if total is not None and _problem(total, "total", minimum_excluded=True):
            return None
        return cls(
            float(current),
            None if total is None else float(total),
            message[:MESSAGE_LIMIT],
        )


def _problem(value: Any, name: str, *, minimum_excluded: bool) -> str | None:
    """What is wrong with a progress number, or ``None``."""
    bound = "> 0" if minimum_excluded else ">= 0"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{name} must be a number {bound}, not {type(value).__name__} {value!r:.80}."
    try:
        number = float(value)
    except OverflowError:
        bits = int(value).bit_length()
        return f"{name} must be a finite number {bound}; an integer of {bits} bits is too big."
    if not math.isfinite(number):
        return f"{name} must be a finite number {bound}, not {value!r}."
    if number < 0 or (minimum_excluded and number == 0):
        return f"{name} must be a number {bound}, not {value!r}."
    return None


def set_progress(current: float, total: float | None = None, message: str = "") -> bool:
    """Record progress for the job this code runs in.

    ``current`` is a finite number >= 0, ``total`` a finite number > 0 or ``None``,
    ``message`` a string of at most ``MESSAGE_LIMIT`` (1,000) characters; anything else
    raises ``ValueError`` naming the problem, before anything is written. Returns
    ``False`` (and does nothing) when called outside an rq job, so a task function can
    still be called directly, for example in a unit test.
    Raises :class:`~django_rq_poll.RedisUnavailable` when Redis cannot serve.
    """
    problem = _problem(current, "current", minimum_excluded=False)
    if problem is None and total is not None:
        problem = _problem(total, "total", minimum_excluded=True)
    if problem is None and not isinstance(message, str):
        problem = f"message must be a string, not {type(message).__name__}."
    if problem is None and len(message) > MESSAGE_LIMIT:
        problem = (
            f"message must be at most {MESSAGE_LIMIT} characters, not {len(message)}: "
            "report details elsewhere (the job's result, a log)."
        )
    if problem is not None:
        raise ValueError(f"set_progress(): {problem}")
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
