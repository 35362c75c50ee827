"""Whether a page offers push (the job's event stream) or polls, and the stream's URL."""

from __future__ import annotations

from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from ..conf import conf


def available(request: HttpRequest) -> bool:
    """Served by an ASGI server, with ``RQ_POLL['PUSH']`` on. Under WSGI a stream would
    hold a worker thread for each waiting browser, so pages there always poll."""
    return conf.PUSH and isinstance(request, ASGIRequest)


def events_url(request: HttpRequest, task_id: str) -> str:
    """The job's event stream for a page served under ASGI; "" elsewhere (the page polls),
    or when the site has not included ``django_rq_poll.urls``."""
    if not available(request):
        return ""
    try:
        return reverse("django_rq_poll:events", kwargs={"job_id": task_id})
    except NoReverseMatch:
        return ""
