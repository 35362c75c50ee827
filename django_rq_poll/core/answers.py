"""What the status endpoint and each event of a stream say of a job, from one snapshot.

Plain data for JSON: never the job's result, never a traceback. The staff details (the
workers, the notice) only when the caller says the visitor may see them.
"""

from __future__ import annotations

from typing import Any

from . import texts
from .meta import page_of
from .progress import Progress
from .snapshot import Snapshot
from .states import State
from .wait import Wait


def status_data(
    snap: Snapshot, wait: Wait | None = None, *, details: bool = False, notice: str | None = None
) -> dict[str, Any]:
    """What the status endpoint (and each event of a stream) says of a job; ``details``
    (the workers, and ``notice``, the staff notice) only for those who may see them."""
    progress = Progress.from_meta(snap.meta)
    return {
        "state": snap.state.value,
        "done": snap.state.done,
        "failed": snap.state is State.FAILED,
        "status": (
            texts.waiting_text(wait.position if wait is not None else None)
            if snap.state is State.PENDING
            else texts.status_text(snap.state)
        ),
        "progress": progress.as_dict() if progress is not None else None,
        "url": page_of(snap.meta),
        "position": wait.position if wait is not None else None,
        "workers": wait.workers if wait is not None and details else None,
        "notice": notice if details else None,
    }


def gone_data() -> dict[str, Any]:
    """What a stream says of a job that is gone (its result expired or was forgotten)."""
    return {"state": None, "done": True, "failed": False, "status": "", "progress": None}
