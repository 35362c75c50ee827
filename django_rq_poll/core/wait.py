"""A queued job as its queue sees it: the "wait facts" pages and streams show."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Wait:
    """A queued job as its queue sees it."""

    #: The queue's name.
    queue: str
    #: Its place in the queue, 1 for the next job a worker takes; ``None`` once it has
    #: left the queue's list (a worker is taking it).
    position: int | None
    #: Workers registered on the queue (rq drops a killed worker's entry only at its
    #: next clean-up, so a count above 0 may include one that has just died).
    workers: int
