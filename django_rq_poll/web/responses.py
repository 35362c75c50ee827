"""The ready-made answers of this package's pages and endpoints, one of each kind.

An outage is a 503 with ``Retry-After``, a visitor over a limit a 429, an unknown or
foreign job a 404: every page, fragment, endpoint and stream answers them from here, and
logs them here, once, on the ``django_rq_poll`` logger (never as a 500 that mails ADMINS).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.http import escape_leading_slashes
from django.utils.log import log_response
from django.utils.translation import gettext

from ..conf import conf
from ..exceptions import QueueFull, RedisRefused, TooManyJobs
from . import delivery
from .templates import Templates

logger = logging.getLogger("django_rq_poll")

# htmx 2 stops polling on this status; htmx 4 stops because the swapped-in element
# no longer carries the trigger.
HTMX_STOP_POLLING = 286


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def shows_details(user: Any) -> bool:
    """Tracebacks and worker hints are shown to staff, and to everyone under DEBUG."""
    return settings.DEBUG or bool(getattr(user, "is_staff", False))


def own_url(request: HttpRequest) -> str:
    """The request's own path and query string (without the delivery marker), for
    every URL this app writes into a page, a form or a redirect.

    Escaped as Django escapes redirects: a path of a catch-all route that starts with
    ``//`` would otherwise be read by browsers as another host (``//evil.example/x``).
    """
    return escape_leading_slashes(delivery.without_marker(request.get_full_path()))


def status_url(task_id: str) -> str:
    """The JSON status endpoint of the job, or "" when the site has not included it."""
    try:
        return reverse("django_rq_poll:status", kwargs={"job_id": task_id})
    except NoReverseMatch:
        return ""


def no_store(response: HttpResponseBase) -> HttpResponseBase:
    add_never_cache_headers(response)
    patch_vary_headers(response, ("HX-Request",))
    return response


def logged(
    response: HttpResponse, request: HttpRequest, level: str, message: str, *args: Any
) -> HttpResponse:
    """Log a page this app answers on purpose, once, on its own logger.

    Django logs every response of status 500 or more at ERROR on ``django.request``, which
    ``mail_admins`` turns into one email per request when DEBUG is off: a failed task or
    a Redis outage under load would flood the admins. ``log_response`` logs here instead
    and marks the response as logged, so Django does not log it again.
    """
    log_response(message, *args, response=response, request=request, logger=logger, level=level)
    return response


def outage_level(exc: Exception) -> str:
    """An outage passes (a warning); a refused permission needs someone (an error)."""
    return "error" if isinstance(exc, RedisRefused) else "warning"


def unavailable(
    request: HttpRequest,
    exc: Exception,
    template: str = Templates.unavailable,
    htmx_template: str = Templates.htmx_unavailable,
) -> HttpResponseBase:
    """503 with Retry-After: an outage is logged for operators, never shown as a traceback.

    htmx swaps no error response, so its polling element gets a 200 fragment that says
    the connection is lost and keeps asking every ``RETRY_AFTER`` seconds.
    """
    htmx = is_htmx(request)
    status = 200 if htmx else 503
    context = {
        "retry_after": conf.RETRY_AFTER,
        "retry_after_ms": milliseconds(conf.RETRY_AFTER),
        "page_url": own_url(request),
    }
    chosen = htmx_template if htmx else template
    response = TemplateResponse(request, chosen, context, status=status)
    response["Retry-After"] = str(conf.RETRY_AFTER)
    logged(
        response,
        request,
        outage_level(exc),
        "Page %s answered %s (outage): %s",
        request.path,
        status,
        exc,
    )
    return no_store(response)


def unavailable_json(request: HttpRequest, what: str, exc: Exception) -> HttpResponseBase:
    """The endpoints' 503 (status, stream): logged as the pages' outages are."""
    response = JsonResponse({"error": gettext("Try again in a moment.")}, status=503)
    response["Retry-After"] = str(conf.RETRY_AFTER)
    logged(response, request, outage_level(exc), "%s answered 503: %s", what, exc)
    return no_store(response)


def too_many_streams(request: HttpRequest, job_id: str) -> HttpResponseBase:
    """429 with ``Retry-After``: this visitor holds ``MAX_STREAMS`` streams already (the
    page's script polls instead)."""
    response = JsonResponse({"error": gettext("Try again in a moment.")}, status=429)
    response["Retry-After"] = str(conf.RETRY_AFTER)
    logger.info("Events of job %s answered 429: too many open streams", job_id)
    return no_store(response)


def not_found() -> HttpResponseBase:
    """The endpoints' 404, the same for an unknown id and for another user's job."""
    return no_store(JsonResponse({"error": gettext("No such process.")}, status=404))


def limited(
    request: HttpRequest, exc: TooManyJobs | QueueFull, templates: Templates
) -> HttpResponseBase:
    """429 (this visitor has enough jobs running) or 503 (the queue is full), with
    Retry-After; the page reloads itself then. Nothing was started.

    An htmx request gets its fragment with 200 (and Retry-After), as in an outage: htmx
    swaps no error response, so a 429 would leave the old content and never ask again.
    """
    too_many = isinstance(exc, TooManyJobs)
    status = 429 if too_many else 503
    logger.info("Polling page %s answered %s: %s", request.path, status, exc)
    context = {
        "retry_after": conf.RETRY_AFTER,
        "page_url": own_url(request),
        "too_many": too_many,
        "limit": exc.limit,
    }
    if is_htmx(request):
        template, status = templates.htmx_limited, 200
    else:
        template = templates.limited
    response = TemplateResponse(request, template, context, status=status)
    response["Retry-After"] = str(conf.RETRY_AFTER)
    return no_store(response)


def too_long(request: HttpRequest, template: str = Templates.too_long) -> HttpResponseBase:
    """414: the page's URL (or its polling key) is over ``MAX_URL_LENGTH``; nothing stored."""
    context = {"limit": conf.MAX_URL_LENGTH}
    return no_store(TemplateResponse(request, template, context, status=414))


def seconds(value: float) -> str:
    return f"{value:g}"


def milliseconds(value: float) -> str:
    return str(round(value * 1000))


def error_label() -> str:
    """The heading over a traceback, naming why this visitor sees it."""
    if settings.DEBUG:
        return gettext("Error (shown because DEBUG is on)")
    return gettext("Error (shown to staff only)")
