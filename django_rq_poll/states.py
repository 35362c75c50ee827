"""The small state vocabulary, and how rq's job statuses map onto it."""

from __future__ import annotations

import enum


class State(enum.StrEnum):
    """What a polling page needs to know about a job."""

    PENDING = "pending"  # queued, deferred, scheduled: waiting for a worker
    RUNNING = "running"  # a worker has it
    COMPLETE = "complete"  # finished; its result is in Redis
    FAILED = "failed"  # raised, timed out, was stopped, or its worker died
    CANCELED = "canceled"  # canceled before it ran

    @property
    def in_progress(self) -> bool:
        return self in (State.PENDING, State.RUNNING)

    @property
    def done(self) -> bool:
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


def from_rq_status(status: str) -> State:
    """Map an rq ``JobStatus`` value; statuses newer rq versions add read as running."""
    return _FROM_RQ.get(status, State.RUNNING)
