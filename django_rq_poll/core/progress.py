"""How far a job says it has come, read from its meta whatever meta holds."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .meta import META_PROGRESS

#: The longest progress message :func:`~django_rq_poll.set_progress` accepts, in characters.
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
        if problem(current, "current", minimum_excluded=False) or not isinstance(message, str):
            return None
        if total is not None and problem(total, "total", minimum_excluded=True):
            return None
        return cls(
            float(current),
            None if total is None else float(total),
            message[:MESSAGE_LIMIT],
        )


def problem(value: Any, name: str, *, minimum_excluded: bool) -> str | None:
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
