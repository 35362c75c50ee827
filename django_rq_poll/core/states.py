"""The small state vocabulary, and how rq's job statuses map onto it."""

from __future__ import annotations

import enum


class State(enum.StrEnum):
    """What a polling page needs to know about a job."""

    #: Waiting for a worker: rq's ``created``, ``queued``, ``deferred`` or ``scheduled``;
    #: also a job begun inside a transaction that has not committed yet (seen only from
    #: the thread that began it).
    PENDING = "pending"
    #: A worker has it (rq's ``started``) and that worker's heartbeat is alive. Statuses
    #: that a newer rq adds, unknown to this version, read as running too.
    RUNNING = "running"
    #: Finished, and its result is still in Redis and readable by this process. A
    #: finished job whose result has expired reads as unknown (``None``), never as
    #: complete without a result.
    COMPLETE = "complete"
    #: Raised, timed out, returned something the queue's serializer cannot store, was
    #: stopped while running, its worker died (no heartbeat for about 90 seconds), or
    #: its stored result cannot be read back by this process (``ResultUnreadable``).
    FAILED = "failed"
    #: Canceled before a worker picked it up.
    CANCELED = "canceled"

    @property
    def in_progress(self) -> bool:
        """Pending or running: a page should keep polling."""
        return self in (State.PENDING, State.RUNNING)

    @property
    def done(self) -> bool:
        """Complete, failed or canceled: polling can stop."""
        return not self.in_progress


_FROM_RQ = {
    "created": State.PENDING,
    "queued": State.PENDING,
    "deferred": State.PENDING,
    "scheduled": State.PENDING,
    "started": State.RUNNING,
    "finished": State.COMPLETE,
    "failed": State.FAILED,
    "stopped": State.FAILED,
    "canceled": State.CANCELED,
}


def is_rq_like(status: str) -> bool:
    """A status rq could have written (a lower-case word), known to this version or not."""
    word = status.replace("_", "").replace("-", "")
    return word.isascii() and word.isalpha() and word.islower()


def from_rq_status(status: str) -> State:
    """Map an rq ``JobStatus`` value; statuses newer rq versions add read as running, and
    what no rq writes (bytes of another program: non-UTF-8, NUL) reads as failed."""
    found = _FROM_RQ.get(status)
    if found is not None:
        return found
    return State.RUNNING if is_rq_like(status) else State.FAILED
