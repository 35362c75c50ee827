"""What the URL mappings point at: one row per polling URL, for operators and listings.

The mapping keys hold only a hash of the URL, so every row is read back through its
job (whose meta keeps the URL). A mapping whose job is gone has no URL to show; it is
reported as such and :func:`remove_orphans` deletes it with a compare-and-delete, so a
mapping switched to a new job in the meantime is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..core import keys, reads, writes
from ..core.meta import owner_in, url_in
from ..core.progress import Progress
from ..core.snapshot import Snapshot
from ..core.states import State
from ..drivers.backends import backend as home

_EPOCH = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Process:
    """One polling URL's job as seen now; ``state`` is ``None`` when the job is gone."""

    task_id: str
    url: str | None
    state: State | None
    rq_status: str | None = None
    abandoned: bool = False
    progress: Progress | None = None
    owner: Any = None
    queue: str | None = None
    enqueued_at: datetime | None = None
    ended_at: datetime | None = None

    @property
    def gone(self) -> bool:
        return self.state is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "task_id": self.task_id,
            "state": self.state.value if self.state is not None else "gone",
            "rq_status": self.rq_status,
            "abandoned": self.abandoned,
            "progress": self.progress.as_dict() if self.progress is not None else None,
            "owner": self.owner,
            "queue": self.queue,
            "enqueued_at": _iso(self.enqueued_at),
            "ended_at": _iso(self.ended_at),
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def describe(task_id: str, snapshot: Snapshot | None = None) -> Process:
    """The row for one job id; pass a snapshot already read to save a round trip."""
    backend = home()
    snap = snapshot or backend.run(reads.lookup(backend, None, task_id, meta=True))
    if snap is None:
        return Process(task_id=task_id, url=None, state=None)
    meta = snap.meta or {}
    url = url_in(meta)
    job = backend.fetch_job(snap.task_id)  # timestamps and origin; None if it just vanished
    return Process(
        task_id=snap.task_id,
        url=url if isinstance(url, str) else None,
        state=snap.state,
        rq_status=snap.rq_status,
        abandoned=snap.abandoned,
        progress=Progress.from_meta(meta),
        owner=owner_in(meta),
        queue=job.origin if job is not None else None,
        enqueued_at=_aware(job.enqueued_at) if job is not None else None,
        ended_at=_aware(job.ended_at) if job is not None else None,
    )


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)  # rq stores UTC without a zone


def processes() -> list[Process]:
    """Every mapped process, newest first; gone ones last."""
    backend = home()
    rows = [describe(task_id) for _key, task_id in backend.iter_mappings()]
    rows.sort(key=lambda p: (not p.gone, p.enqueued_at or _EPOCH), reverse=True)
    return rows


def find(reference: str) -> Process | None:
    """The process a job id or a polling URL names (an id is tried first).

    Looking a URL up heals its mapping if the job has vanished, so a URL whose job is
    gone answers ``None``.
    """
    backend = home()
    if keys.is_valid_job_id(reference):
        snap = backend.run(reads.lookup(backend, None, reference, meta=True))
        if snap is not None:
            return describe(snap.task_id, snap)
    snap = backend.run(reads.lookup(backend, reference, None, meta=True))
    return describe(snap.task_id, snap) if snap is not None else None


def orphan_keys(task_id: str) -> list[str]:
    """Mapping keys that still point at ``task_id`` although its job is gone."""
    backend = home()
    if backend.run(reads.lookup(backend, None, task_id)) is not None:
        return []
    return [key for key, value in backend.iter_mappings() if value == task_id]


def remove_orphans(*, dry_run: bool = False) -> tuple[int, int]:
    """Delete mappings whose jobs are gone; returns (removed, checked)."""
    backend = home()
    removed = checked = 0
    for key, task_id in backend.iter_mappings():
        checked += 1
        if backend.run(reads.lookup(backend, None, task_id)) is not None:
            continue
        if dry_run or backend.run(writes.forget_mapping(key, task_id)):
            removed += 1
    return removed, checked
