"""Push: a stream of Server-Sent Events telling a running page each change of its job.

``GET <rq-poll>/events/<job_id>/`` answers ``text/event-stream``: the job's state at once,
then each change (event ``state``), then the final state (event ``done``) and the end of
the stream. The data of each event is what the status endpoint answers. Idle streams
carry a comment every ``RQ_POLL['PUSH_HEARTBEAT']`` seconds so proxies keep them open.

Event ids grow with the job (its state, then the progress counter that
:func:`~django_rq_poll.progress.set_progress` keeps): a browser reconnecting with
``Last-Event-ID`` gets the current state at once when it differs from the one it saw
last, so no change is lost across a reconnect.

Streams need an ASGI server: under WSGI each would hold a worker thread, so this view
answers 404 there and pages offer no stream (they poll). The changes come from
:mod:`.listen` (one pub/sub connection per process); the view itself never touches Redis.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from . import aread, keys, listen, pages, push, store, views, workers
from .conf import conf
from .exceptions import RedisUnavailable
from .states import State

__all__ = ["events"]

_RANK = {State.PENDING: 1, State.RUNNING: 2}
_GONE = 4


# Places in the queue told apart by event ids (a job further back reads as this far).
_FAR = (1 << 31) - 1


def event_id(snap: store.Snapshot | None, wait: workers.Wait | None = None) -> int:
    """Grows with each change a page can see: state first, then the progress counter
    (while queued: the place in the queue, which shrinks as the job moves up)."""
    if snap is None:
        return _GONE << 32
    rank = _RANK.get(snap.state, 3)
    if snap.state is State.PENDING:
        place = wait.position if wait is not None and wait.position is not None else 0
        return rank << 32 | (_FAR - min(place, _FAR))
    progress = (snap.meta or {}).get(store.META_PROGRESS)
    seq = progress.get("seq", 0) if isinstance(progress, dict) else 0
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq < 1 << 32:
        seq = 0
    return rank << 32 | seq


def parse_last_event_id(value: str | None) -> int | None:
    if value is None or not value.isdigit() or len(value) > 20:
        return None
    return int(value)


def event_data(
    snap: store.Snapshot | None, wait: workers.Wait | None = None, *, details: bool = False
) -> dict[str, Any]:
    """What the status endpoint says (``details`` as there: for staff and under DEBUG)."""
    if snap is None:  # gone (its result expired or was forgotten): the page knows what next
        return {"state": None, "done": True, "failed": False, "status": "", "progress": None}
    return views.status_data(snap, wait, details=details)


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


@require_GET
async def events(request: HttpRequest, job_id: str) -> HttpResponseBase:
    """The job's event stream, with the same owner check and 404s as the status endpoint."""
    if not keys.is_valid_job_id(job_id) or not push.available(request):
        return _not_found()
    try:
        snap = await aread.reader().lookup(None, job_id, meta=True)
    except RedisUnavailable as exc:
        pages.logger.warning("Events of job %s answered 503: %s", job_id, exc)
        response = JsonResponse({"error": gettext("Try again in a moment.")}, status=503)
        response["Retry-After"] = str(conf.RETRY_AFTER)
        return pages.no_store(response)
    user = await _user(request)
    if snap is None or not _may_read(user, snap.meta or {}):
        return _not_found()
    last_seen = parse_last_event_id(request.headers.get("Last-Event-ID"))
    events = stream(job_id, last_seen, details=pages.shows_details(user))
    streaming = StreamingHttpResponse(events, content_type="text/event-stream")
    streaming["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return pages.no_store(streaming)


def _not_found() -> HttpResponseBase:
    return pages.no_store(JsonResponse({"error": gettext("No such process.")}, status=404))


async def _user(request: HttpRequest) -> Any:
    auser = getattr(request, "auser", None)
    return await auser() if auser is not None else None


def _may_read(user: Any, meta: dict[str, Any]) -> bool:
    owner = meta.get(store.META_OWNER)
    if owner is None:
        return True  # shared or anonymous: the unguessable id is the secret
    return pages.owner_of(user) == str(owner)
