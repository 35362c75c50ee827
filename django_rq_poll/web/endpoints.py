"""The JSON status endpoint and the event stream: one owner check, one 404, one 503.

Both find the job with the same program (:func:`finding`), run blocking by the status
endpoint and awaited by the stream, so they cannot disagree on who may read a job or on
how an outage is answered and logged.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponseNotAllowed, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from ..conf import conf
from ..core import answers, keys, meta, reads
from ..core.ops import Program
from ..core.snapshot import Snapshot
from ..core.wait import Wait
from ..drivers import backends
from ..drivers.twins import awaited, blocking
from ..exceptions import RedisUnavailable
from ..ops import notices
from ..push import offer, slots, stream
from . import visitors
from .hooks import auser
from .responses import no_store, not_found, shows_details, too_many_streams, unavailable_json

__all__ = ["events", "status"]

Found = tuple[Snapshot, Wait | None] | HttpResponseBase


def finding(
    home: backends.Backend, request: HttpRequest, job_id: str, user: Any, *, wait: bool
) -> Program[Found]:
    """The job and (with ``wait``) its place in its queue, or the answer to give instead:
    404 for an id that is not a job's or a job of another user (the same answer, so ids
    cannot be probed), 503 with ``Retry-After`` in an outage."""
    if not keys.is_valid_job_id(job_id):
        return not_found()
    owner = meta.owner_of(user)  # every 404 alike: the user is read before the job
    try:
        snap = yield from reads.lookup(home, None, job_id, meta=True)
        if snap is None or not meta.may_read(snap.meta, owner):
            return not_found()
        found = None
        if wait:
            found = yield from reads.wait(home, snap.task_id, snap.origin, snap.rq_status)
    except RedisUnavailable as exc:
        return unavailable_json(request, f"Job {job_id}'s {'status' if wait else 'events'}", exc)
    return snap, found


def status(request: HttpRequest, job_id: str) -> HttpResponseBase:
    """JSON about one job, for the polling script: never its result, never a traceback.

    A job recorded with an owner answers only to that user; others get the same 404 as
    for an id that does not exist, so ids of other users' jobs cannot be probed.
    """
    if request.method != "GET":
        return no_store(HttpResponseNotAllowed(["GET"]))
    user = getattr(request, "user", None)
    found = blocking(lambda home: finding(home, request, job_id, user, wait=True))
    if isinstance(found, HttpResponseBase):
        return found
    snap, wait = found
    details = shows_details(user)
    notice = notices.no_worker_notice(wait) if details else None
    data = answers.status_data(snap, wait, details=details, notice=notice)
    return no_store(JsonResponse(data))


@require_GET
async def events(request: HttpRequest, job_id: str) -> HttpResponseBase:
    """The job's event stream, with the same owner check and answers as :func:`status`.

    Streams need an ASGI server: under WSGI each would hold a worker thread, so this view
    answers 404 there and pages offer no stream (they poll).
    """
    if not offer.available(request):
        return not_found()
    user = await auser(request)
    found = await awaited(lambda home: finding(home, request, job_id, user, wait=False))
    if isinstance(found, HttpResponseBase):
        return found
    slot = slots.SLOTS.take(visitors.visitor_of(request, user), conf.MAX_STREAMS)
    if slot is None:
        return too_many_streams(request, job_id)
    last_seen = stream.parse_last_event_id(request.headers.get("Last-Event-ID"))
    events = slots.Held(stream.stream(job_id, last_seen, details=shows_details(user)), slot)
    streaming = StreamingHttpResponse(events, content_type="text/event-stream")
    streaming["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return no_store(streaming)
