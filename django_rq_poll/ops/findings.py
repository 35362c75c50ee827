"""What each of ``rqpoll doctor``'s checks answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Finding:
    check: str
    status: str  # "ok", "warning", "problem" or "unknown"
    message: str
    queue: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def text(value: Any) -> str:
    """A Redis reply as text."""
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
