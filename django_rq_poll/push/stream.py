"""Push: a stream of Server-Sent Events telling a running page each change of its job.

``GET <rq-poll>/events/<job_id>/`` (:func:`django_rq_poll.web.endpoints.events`) answers
``text/event-stream``: the job's state at once, then each change (event ``state``), then
the final state (event ``done``) and the end of the stream. The data of each event is
what the status endpoint answers. Idle streams carry a comment every
``RQ_POLL['PUSH_HEARTBEAT']`` seconds so proxies keep them open.

Event ids grow with the job (its state, then the progress counter that
:func:`~django_rq_poll.progress.set_progress` keeps): a browser reconnecting with
``Last-Event-ID`` gets the current state at once when it differs from the one it saw
last, so no change is lost across a reconnect. The changes come from :mod:`.listen`
(one pub/sub connection per process).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from ..conf import conf
from ..core import answers
from ..core.meta import META_PROGRESS
from ..core.snapshot import Snapshot
from ..core.states import State
from ..core.wait import Wait
from ..ops import notices
from . import listen

_RANK = {State.PENDING: 1, State.RUNNING: 2}
_GONE = 4


# Places in the queue told apart by event ids (a job further back reads as this far).
_FAR = (1 << 31) - 1


def event_id(snap: Snapshot | None, wait: Wait | None = None) -> int:
    """Grows with each change a page can see: state first, then the progress counter
    (while queued: the place in the queue, which shrinks as the job moves up)."""
    if snap is None:
        return _GONE << 32
    rank = _RANK.get(snap.state, 3)
    if snap.state is State.PENDING:
        place = wait.position if wait is not None and wait.position is not None else 0
        return rank << 32 | (_FAR - min(place, _FAR))
    progress = (snap.meta or {}).get(META_PROGRESS)
    seq = progress.get("seq", 0) if isinstance(progress, dict) else 0
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq < 1 << 32:
        seq = 0
    return rank << 32 | seq


def parse_last_event_id(value: str | None) -> int | None:
    """A resume point from a ``Last-Event-ID`` header; anything else is ignored."""
    if value is None or len(value) > 20 or not value.isascii() or not value.isdigit():
        return None
    return int(value)


def event_data(
    snap: Snapshot | None, wait: Wait | None = None, *, details: bool = False
) -> dict[str, Any]:
    """What the status endpoint says (``details`` as there: for staff and under DEBUG)."""
    if snap is None:  # gone (its result expired or was forgotten): the page knows what next
        return answers.gone_data()
    notice = notices.no_worker_notice(wait) if details else None
    return answers.status_data(snap, wait, details=details, notice=notice)


def format_event(name: str, event: int, data: dict[str, Any]) -> str:
    """One event; the JSON holds no newline, so one ``data:`` line carries it."""
    return f"id: {event}\nevent: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


HEARTBEAT = ": keep-alive\n\n"


async def stream(
    task_id: str, last_seen: int | None, *, details: bool = False
) -> AsyncIterator[str]:
    """The events of one job until it is done; ends (and lets go of the job's topic) when
    the client disconnects, since Django then cancels the response. ``details``: the
    workers and the staff notice, as the status endpoint shows them."""
    hub = listen.hub()
    topic = hub.watch(task_id)
    try:
        # Tells EventSource how long to wait before reconnecting; sent first so that
        # the browser sees the stream open at once.
        yield f"retry: {round(conf.POLL_INTERVAL * 1000)}\n\n"
        await topic.ready.wait()
        version = 0
        while True:
            changed = topic.changed
            if topic.version != version:
                version = topic.version
                snap, wait = topic.snapshot, topic.wait
                done = snap is None or snap.state.done
                current = event_id(snap, wait)
                if current != last_seen:
                    last_seen = current
                    data = event_data(snap, wait, details=details)
                    yield format_event("done" if done else "state", current, data)
                if done:
                    return
            try:
                await asyncio.wait_for(changed.wait(), conf.PUSH_HEARTBEAT)
            except TimeoutError:
                yield HEARTBEAT
    finally:
        hub.unwatch(topic)
