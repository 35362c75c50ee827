"""What a polling page answers: the result, or a running, failed or unavailable page.

Shared by :class:`~django_rq_poll.views.PollingMixin` and the ``polling_view`` decorator.
Every Redis access goes through :mod:`django_rq_poll.api` (and, for a queued job only,
:mod:`django_rq_poll.workers`); one lookup decides the answer and only a page that must
start or find a running job makes a second call.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.http import escape_leading_slashes
from django.utils.log import log_response
from django.utils.translation import gettext

from . import api, delivery, html, limits, push, store, tasks, texts, workers
from .conf import conf
from .exceptions import QueueFull, RedisRefused, RedisUnavailable, TooManyJobs
from .progress import Progress
from .states import State

logger = logging.getLogger("django_rq_poll")

# The POST field of the "try again" form; other POSTs go to the view untouched.
RETRY_FIELD = "rq_poll_retry"
# htmx 2 stops polling on this status; htmx 4 stops because the swapped-in element
# no longer carries the trigger.
HTMX_STOP_POLLING = 286


@dataclass(frozen=True)
class Templates:
    """The templates a polling page renders; each view may name its own."""

    running: str = "django_rq_poll/running.html"
    failed: str = "django_rq_poll/failed.html"
    unavailable: str = "django_rq_poll/unavailable.html"
    htmx_running: str = "django_rq_poll/htmx/running.html"
    htmx_failed: str = "django_rq_poll/htmx/failed.html"
    htmx_unavailable: str = "django_rq_poll/htmx/unavailable.html"
    ready: str = "django_rq_poll/ready.html"
    htmx_ready: str = "django_rq_poll/htmx/ready.html"
    limited: str = "django_rq_poll/limited.html"
    htmx_limited: str = "django_rq_poll/htmx/limited.html"
    too_long: str = "django_rq_poll/too_long.html"


@dataclass(frozen=True)
class Ready:
    """The finished job's result, for the view to answer with."""

    result: Any


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def wants_retry(request: HttpRequest) -> bool:
    return request.method == "POST" and RETRY_FIELD in request.POST


def shows_details(user: Any) -> bool:
    """Tracebacks and worker hints are shown to staff, and to everyone under DEBUG."""
    return settings.DEBUG or bool(getattr(user, "is_staff", False))


def owner_of(user: Any) -> str | None:
    """The owner recorded in job meta: the user's pk as text, ``None`` when anonymous."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return str(user.pk)


def polling_key(page_key: str, user: Any) -> str:
    """The page's key, plus the user when one is given and logged in.

    The user part follows a ``#``. Django escapes ``#`` in the path but not in the
    query string, and some servers (runserver, uvicorn with h11) pass a raw one
    through; it is escaped here, so no request can spell another user's key. The user
    part is added to every key, a view's own included, so overriding the page key can
    never share one user's result with another.
    """
    owner = owner_of(user)
    key = delivery.without_marker(page_key).replace("#", "%23")
    return key if owner is None else f"{key}#user={owner}"


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
        "retry_after_ms": _milliseconds(conf.RETRY_AFTER),
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


def _seconds(value: float) -> str:
    return f"{value:g}"


def _milliseconds(value: float) -> str:
    return str(round(value * 1000))


@dataclass
class Poller:
    """One request's polling: what to run, under which key, and how to answer meanwhile."""

    request: HttpRequest
    task: tasks.TaskRef
    task_args: Sequence[Any]
    task_kwargs: dict[str, Any]
    polling_url: str
    owner: str | None
    user: Any
    job_options: dict[str, Any]
    templates: Templates
    #: The HTTP status of the (non-htmx) failure page.
    failure_status: int = 500

    @property
    def page_url(self) -> str:
        return own_url(self.request)

    def _unavailable(self, exc: RedisUnavailable) -> HttpResponseBase:
        templates = self.templates
        return unavailable(self.request, exc, templates.unavailable, templates.htmx_unavailable)

    def _wait_args(
        self, status: api.StatusText, snap: store.Snapshot | None
    ) -> tuple[str, str | None, str] | None:
        """(task id, queue, rq status) of a job that may sit in its queue, else None."""
        if status.state is not State.PENDING:
            return None
        if snap is not None and snap.task_id == status.task_id:
            return status.task_id, snap.origin or None, snap.rq_status
        return status.task_id, self.job_options.get("queue"), "queued"

    @property
    def too_long(self) -> bool:
        return limits.is_too_long(self.polling_url) or limits.is_too_long(self.page_url)

    def _begin_kwargs(self) -> dict[str, Any]:
        options = {**limits.job_defaults(self.user), **self.job_options}
        meta = dict(options.pop("meta", None) or {})
        meta[store.META_OWNER] = self.owner
        if self.polling_url.split("#", 1)[0] != self.page_url:
            # The URL is kept once: the page only when the polling key does not spell it.
            meta[store.META_PAGE] = self.page_url
        return {
            "task_method": self.task,
            "task_args": tuple(self.task_args),
            "task_kwargs": dict(self.task_kwargs),
            "polling_url": self.polling_url,
            "visitor": limits.visitor_of(self.request, self.user),
            "meta": meta,
            **options,
        }

    # -- GET ---------------------------------------------------------------------
    # One lookup decides; only a page with nothing to keep makes the one atomic start
    # (mapping checked again, visitor's jobs counted, enqueue and mapping, in one step).
    def poll(self) -> Ready | HttpResponseBase:
        if self.too_long:
            return too_long(self.request, self.templates.too_long)
        try:
            snap = api.get_process_snapshot(self.polling_url, result=True)
            if snap is not None and snap.state.done:
                return self._settled(snap)
            if snap is not None and store.keeps(snap):
                status = api.found_status(snap)
            else:
                status = api.start_unless_active(**self._begin_kwargs())
            found = self._wait_args(status, snap)
            wait = workers.wait_of(*found) if found is not None else None
        except RedisUnavailable as exc:
            return self._unavailable(exc)
        except (TooManyJobs, QueueFull) as exc:
            return limited(self.request, exc, self.templates)
        return self._running(status, snap, wait)

    async def apoll(self) -> Ready | HttpResponseBase:
        if self.too_long:
            return too_long(self.request, self.templates.too_long)
        try:
            snap = await api.aget_process_snapshot(self.polling_url, result=True)
            if snap is not None and snap.state.done:
                return self._settled(snap)
            if snap is not None and store.keeps(snap):
                status = api.found_status(snap)
            else:
                status = await api.astart_unless_active(**self._begin_kwargs())
            found = self._wait_args(status, snap)
            wait = None
            if found is not None:
                wait = await workers.await_of(*found)
        except RedisUnavailable as exc:
            return self._unavailable(exc)
        except (TooManyJobs, QueueFull) as exc:
            return limited(self.request, exc, self.templates)
        return self._running(status, snap, wait)

    def _settled(self, snap: store.Snapshot) -> Ready | HttpResponseBase:
        if snap.state is State.COMPLETE:
            return Ready(snap.return_value)
        return self._failed(snap)

    def _running(
        self, status: api.StatusText, snap: store.Snapshot | None, wait: workers.Wait | None
    ) -> HttpResponseBase:
        progress = Progress.from_meta(snap.meta) if snap is not None else None
        shown: str = status
        if status.state is State.PENDING and not status.started:
            shown = texts.waiting_text(wait.position if wait is not None else None)
        context = {
            "status": shown,
            "wait": wait,
            "notice": workers.no_worker_notice(wait) if shows_details(self.user) else None,
            "state": status.state,
            "task_id": status.task_id,
            "progress": progress,
            "progress_bar": html.progress_bar(progress=progress),
            "status_url": status_url(status.task_id),
            "events_url": push.events_url(self.request, status.task_id),
            "page_url": self.page_url,
            "polling_url": self.polling_url,
            "poll_interval": _seconds(conf.POLL_INTERVAL),
            "poll_interval_ms": _milliseconds(conf.POLL_INTERVAL),
            "poll_max_interval_ms": _milliseconds(max(conf.POLL_MAX_INTERVAL, conf.POLL_INTERVAL)),
        }
        template = self.templates.htmx_running if is_htmx(self.request) else self.templates.running
        return no_store(TemplateResponse(self.request, template, context, status=202))

    def _failed(self, snap: store.Snapshot) -> HttpResponseBase:
        show_error = shows_details(self.user)
        context = {
            "status": texts.status_text(snap.state),
            "state": snap.state,
            "canceled": snap.state is State.CANCELED,
            "task_id": snap.task_id,
            "error": snap.error if show_error else None,
            "error_label": error_label() if show_error else "",
            "notice": (
                workers.unreadable_job_notice(snap.error, snap.origin) if show_error else None
            ),
            "page_url": self.page_url,
            "retry_field": RETRY_FIELD,
        }
        if is_htmx(self.request):
            response = TemplateResponse(
                self.request, self.templates.htmx_failed, context, status=HTMX_STOP_POLLING
            )
        else:
            response = TemplateResponse(
                self.request, self.templates.failed, context, status=self.failure_status
            )
        logged(
            response,
            self.request,
            "info",
            "Polling page %s answered %s: job %s %s",
            self.request.path,
            response.status_code,
            snap.task_id,
            snap.state.value,
        )
        return no_store(response)

    # -- POST "try again" -----------------------------------------------------------
    def retry(self) -> HttpResponseBase:
        if self.too_long:
            return too_long(self.request, self.templates.too_long)
        try:
            snap = api.get_process_snapshot(self.polling_url)
            if snap is not None and snap.state in (State.FAILED, State.CANCELED):
                api.forget_process(task_id=snap.task_id)
            api.check_status_or_begin(**self._begin_kwargs())
        except RedisUnavailable as exc:
            return self._unavailable(exc)
        except (TooManyJobs, QueueFull) as exc:
            return limited(self.request, exc, self.templates)
        return no_store(HttpResponseRedirect(self.page_url, status=303))

    async def aretry(self) -> HttpResponseBase:
        if self.too_long:
            return too_long(self.request, self.templates.too_long)
        try:
            snap = await api.aget_process_snapshot(self.polling_url)
            if snap is not None and snap.state in (State.FAILED, State.CANCELED):
                await api.aforget_process(task_id=snap.task_id)
            await api.acheck_status_or_begin(**self._begin_kwargs())
        except RedisUnavailable as exc:
            return self._unavailable(exc)
        except (TooManyJobs, QueueFull) as exc:
            return limited(self.request, exc, self.templates)
        return no_store(HttpResponseRedirect(self.page_url, status=303))

    # -- the result ----------------------------------------------------------------------
    def finish(self, response: HttpResponseBase) -> HttpResponseBase:
        """The view's own answer; for a polling client, one it can get exactly once.

        A page is answered as it is (htmx: 286, which ends htmx 2's polling). A file
        would be downloaded while the running page stays, so a browser gets a "ready"
        page whose single automatic request (a meta refresh, or htmx's ``load``) fetches
        it from :func:`.delivery.deliver_url`, plus a link to fetch it again. htmx gets the same
        for a redirect or JSON: ``HX-Redirect`` on the polling element itself would be
        followed again on every poll whenever it leads to a download.
        """
        patch_vary_headers(response, ("HX-Request",))
        request = self.request
        if is_htmx(request):
            if delivery.is_page(response):
                response.status_code = HTMX_STOP_POLLING
                return response
            if delivery.is_delivery(request):  # the ready fragment's one request
                delivery.discard(response)
                done = HttpResponse(status=HTMX_STOP_POLLING)
                done["HX-Redirect"] = delivery.target(response, self.page_url)
                return no_store(done)
            return self._ready(response, self.templates.htmx_ready, HTMX_STOP_POLLING)
        if (
            delivery.is_delivery(request)
            or not delivery.is_download(response)
            or not delivery.navigates(request)
        ):
            return response
        return self._ready(response, self.templates.ready, 200)

    def _ready(self, response: HttpResponseBase, template: str, status: int) -> HttpResponseBase:
        context = {
            "download": delivery.is_download(response),
            "result_url": delivery.target(response, self.page_url),
            "deliver_url": delivery.deliver_url(self.page_url),
            "page_url": self.page_url,
        }
        delivery.discard(response)
        return no_store(TemplateResponse(self.request, template, context, status=status))


def error_label() -> str:
    """The heading over a traceback, naming why this visitor sees it."""
    if settings.DEBUG:
        return gettext("Error (shown because DEBUG is on)")
    return gettext("Error (shown to staff only)")


def handle(poller: Poller, answer: Callable[[Any], HttpResponseBase]) -> HttpResponseBase:
    """GET: the running/failed page, or ``answer(result)`` once the result is ready."""
    outcome = poller.poll()
    if not isinstance(outcome, Ready):
        return outcome
    return poller.finish(answer(outcome.result))


async def ahandle(
    poller: Poller, answer: Callable[[Any], Awaitable[HttpResponseBase]]
) -> HttpResponseBase:
    outcome = await poller.apoll()
    if not isinstance(outcome, Ready):
        return outcome
    return poller.finish(await answer(outcome.result))
