"""Progress reported from inside a running job, read back by polling pages."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rq import get_current_job

from . import publish
from .store import META_PROGRESS


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
        return max(0, min(100, math.floor(100 * self.current / self.total)))

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
        """Read what :func:`set_progress` stored in a job's meta; ``None`` if nothing usable."""
        raw = (meta or {}).get(META_PROGRESS)
        if not isinstance(raw, dict):
            return None
        try:
            return cls(float(raw["current"]), _opt_float(raw.get("total")), str(raw["message"]))
        except (KeyError, TypeError, ValueError):
            return None


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def set_progress(current: float, total: float | None = None, message: str = "") -> bool:
    """Record progress for the job this code runs in.

    Returns ``False`` (and does nothing) when called outside an rq job, so a task
    function can still be called directly, for example in a unit test.
    """
    if isinstance(current, bool) or not isinstance(current, int | float) or not current >= 0:
        raise ValueError(f"set_progress(): current must be a number >= 0, not {current!r}.")
    if total is not None and (
        isinstance(total, bool) or not isinstance(total, int | float) or not total > 0
    ):
        raise ValueError(f"set_progress(): total must be a number > 0 or None, not {total!r}.")
    if not isinstance(message, str):
        raise ValueError(f"set_progress(): message must be a string, not {type(message).__name__}.")
    job = get_current_job()
    if job is None:
        return False
    previous = job.meta.get(META_PROGRESS)
    # A counter that only grows while the job runs: streams build their event ids from it.
    seq = previous.get("seq", 0) if isinstance(previous, dict) else 0
    seq = seq + 1 if isinstance(seq, int) and not isinstance(seq, bool) else 1
    job.meta[META_PROGRESS] = {"current": current, "total": total, "message": message, "seq": seq}
    job.save_meta()  # type: ignore[no-untyped-call]
    publish.announce(job.connection, job.id, publish.PROGRESS)
    return True
