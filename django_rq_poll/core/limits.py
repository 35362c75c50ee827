"""What one visitor may make the site do: active jobs, queue length, URL length.

The counting itself is done atomically in Redis, in the transaction that enqueues the
job (:func:`.writes.start`): the admit script reads, :class:`Admission` decides. The API
uses the same rules when given a ``visitor``, so they hold without the web layer.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..conf import conf
from ..exceptions import QueueFull, TooManyJobs

# A visitor's slot stops counting this long after its job's last possible moment when
# that moment cannot be known (no queue lifetime, no timeout, rq retries): a backstop,
# since a job leaves the count as soon as it ends, expires or its worker dies.
UNBOUNDED_SLOT = 24 * 60 * 60
# rq keeps a running job's heartbeat for its monitoring interval (30 s) plus 60 s.
HEARTBEAT_GRACE = 90
# How long a job begun inside a database transaction (enqueued on commit) holds its
# visitor's slot before the commit: a rolled-back transaction's slot lapses then.
RESERVED_SLOT = 60
# Marks a visitor's entry as held for a job not enqueued yet (job ids never hold it).
RESERVATION = "~"


class Limits(NamedTuple):
    """The limits one start is checked against, inside its enqueue transaction."""

    visitor: str
    max_active: int | None
    max_queue: int | None


def for_visitor(visitor: str | None) -> Limits | None:
    """The configured limits for a visitor, or ``None`` (no visitor: nothing to count)."""
    if visitor is None:
        return None
    if not isinstance(visitor, str):
        raise TypeError(f"visitor must be a string, not {type(visitor).__name__}.")
    return Limits(visitor, conf.MAX_ACTIVE_JOBS, conf.MAX_QUEUE_LENGTH)


def reserved(job_id: str) -> str:
    """The visitor's entry holding a slot for ``job_id`` until its transaction commits."""
    return RESERVATION + job_id


def check_url(polling_url: str | None) -> None:
    """Refuse a polling URL that is longer than ``MAX_URL_LENGTH`` before it is stored."""
    if polling_url is not None and is_too_long(polling_url):
        raise ValueError(
            f"polling_url is {len(polling_url)} characters long; RQ_POLL['MAX_URL_LENGTH'] "
            f"allows {conf.MAX_URL_LENGTH}. Use a shorter key (for example a hash of the "
            "parameters that change the result), or raise the setting."
        )


def is_too_long(url: str) -> bool:
    return len(url) > conf.MAX_URL_LENGTH


def active_lifetime(ttl: int | None, timeout: int | None, retries: bool) -> int | None:
    """Seconds a job can stay queued or running: its queue lifetime plus its timeout (and
    the heartbeat grace of a killed worker); ``None`` when nothing bounds it."""
    if ttl is None or ttl <= 0 or timeout is None or timeout <= 0 or retries:
        return None
    return ttl + timeout + HEARTBEAT_GRACE


class Admission(NamedTuple):
    """What the admit script saw, inside the transaction that may start a job."""

    mapped: bool
    queue_length: int
    now: int
    active: int
    latest_deadline: int
    stale: list[bytes]

    @classmethod
    def parse(cls, reply: list[Any]) -> Admission:
        mapped, length, now, active, latest, *stale = reply
        return cls(bool(mapped), int(length), int(now), int(active), int(latest), stale)

    def check(self, gate: Limits, queue_name: str) -> None:
        """Raise when starting one more job would break a limit."""
        if gate.max_active is not None and self.active >= gate.max_active:
            raise TooManyJobs(gate.visitor, gate.max_active)
        if gate.max_queue is not None and self.queue_length >= gate.max_queue:
            raise QueueFull(queue_name, self.queue_length, gate.max_queue)
