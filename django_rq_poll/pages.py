"""What a polling page answers: the result, or a running, failed or unavailable page.

Shared by :class:`~django_rq_poll.views.PollingMixin` and the ``polling_view`` decorator.
Every Redis access goes through :mod:`django_rq_poll.api`; one lookup decides the answer
and only a page that must start or find a running job makes a second call.
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
from django.utils.log import log_response

from . import api, html, store, tasks, texts
from .conf import conf
from .exceptions import RedisPermissionDenied, RedisUnavailable
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


@dataclass(frozen=True)
class Ready:
    """The finished job's result, for the view to answer with."""

    result: Any


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def wants_retry(request: HttpRequest) -> bool:
    return request.method == "POST" and RETRY_FIELD in request.POST


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
    key = page_key.replace("#", "%23")
    return key if owner is None else f"{key}#user={owner}"


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


def outage_level(exc: RedisUnavailable) -> str:
    """An outage passes (a warning); a refused permission needs someone (an error)."""
    return "error" if isinstance(exc, RedisPermissionDenied) else "warning"


def unavailable(
    request: HttpRequest, exc: RedisUnavailable, template: str = Templates.unavailable
) -> HttpResponseBase:
    """503 with Retry-After: an outage is logged for operators, never shown as a traceback."""
    response = TemplateResponse(
        request,
        template,
        {"retry_after": conf.RETRY_AFTER, "page_url": request.get_full_path()},
        status=503,
    )
    response["Retry-After"] = str(conf.RETRY_AFTER)
    logged(
        response, request, outage_level(exc), "Polling page %s answered 503: %s", request.path, exc
    )
    return no_store(response)


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

    @property
    def page_url(self) -> str:
        return self.request.get_full_path()

    def _begin_kwargs(self) -> dict[str, Any]:
        options = dict(self.job_options)
        meta = dict(options.pop("meta", None) or {})
        meta[store.META_OWNER] = self.owner
        meta[store.META_PAGE] = self.page_url
        return {
            "task_method": self.task,
            "task_args": tuple(self.task_args),
            "task_kwargs": dict(self.task_kwargs),
            "polling_url": self.polling_url,
            "meta": meta,
            **options,
        }

    # -- GET ---------------------------------------------------------------------
    def poll(self) -> Ready | HttpResponseBase:
        try:
            snap = api.get_process_snapshot(self.polling_url, result=True)
            if snap is not None and snap.state.done:
                return self._settled(snap)
            status = api.check_status_or_begin(**self._begin_kwargs())
        except RedisUnavailable as exc:
            return unavailable(self.request, exc, self.templates.unavailable)
        return self._running(status, snap)

    async def apoll(self) -> Ready | HttpResponseBase:
        try:
            snap = await api.aget_process_snapshot(self.polling_url, result=True)
            if snap is not None and snap.state.done:
                return self._settled(snap)
            status = await api.acheck_status_or_begin(**self._begin_kwargs())
        except RedisUnavailable as exc:
            return unavailable(self.request, exc, self.templates.unavailable)
        return self._running(status, snap)

    def _settled(self, snap: store.Snapshot) -> Ready | HttpResponseBase:
        if snap.state is State.COMPLETE:
            return Ready(snap.return_value)
        return self._failed(snap)

    def _running(self, status: api.StatusText, snap: store.Snapshot | None) -> HttpResponseBase:
        progress = Progress.from_meta(snap.meta) if snap is not None else None
        context = {
            "status": status,
            "state": status.state,
            "task_id": status.task_id,
            "progress": progress,
            "progress_bar": html.progress_bar(progress=progress),
            "status_url": status_url(status.task_id),
            "page_url": self.page_url,
            "polling_url": self.polling_url,
            "poll_interval": _seconds(conf.POLL_INTERVAL),
            "poll_interval_ms": _milliseconds(conf.POLL_INTERVAL),
            "poll_max_interval_ms": _milliseconds(max(conf.POLL_MAX_INTERVAL, conf.POLL_INTERVAL)),
        }
        template = self.templates.htmx_running if is_htmx(self.request) else self.templates.running
        return no_store(TemplateResponse(self.request, template, context, status=202))

    def _failed(self, snap: store.Snapshot) -> HttpResponseBase:
        show_error = settings.DEBUG or bool(getattr(self.user, "is_staff", False))
        context = {
            "status": texts.status_text(snap.state),
            "state": snap.state,
            "canceled": snap.state is State.CANCELED,
            "task_id": snap.task_id,
            "error": snap.error if show_error else None,
            "page_url": self.page_url,
            "retry_field": RETRY_FIELD,
        }
        if is_htmx(self.request):
            response = TemplateResponse(
                self.request, self.templates.htmx_failed, context, status=HTMX_STOP_POLLING
            )
        else:
            response = TemplateResponse(self.request, self.templates.failed, context, status=500)
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
        try:
            snap = api.get_process_snapshot(self.polling_url)
            if snap is not None and snap.state in (State.FAILED, State.CANCELED):
                api.forget_process(task_id=snap.task_id)
            api.check_status_or_begin(**self._begin_kwargs())
        except RedisUnavailable as exc:
            return unavailable(self.request, exc, self.templates.unavailable)
        return no_store(HttpResponseRedirect(self.page_url, status=303))

    async def aretry(self) -> HttpResponseBase:
        try:
            snap = await api.aget_process_snapshot(self.polling_url)
            if snap is not None and snap.state in (State.FAILED, State.CANCELED):
                await api.aforget_process(task_id=snap.task_id)
            await api.acheck_status_or_begin(**self._begin_kwargs())
        except RedisUnavailable as exc:
            return unavailable(self.request, exc, self.templates.unavailable)
        return no_store(HttpResponseRedirect(self.page_url, status=303))

    # -- the result ----------------------------------------------------------------------
    def finish(self, response: HttpResponseBase) -> HttpResponseBase:
        """The view's own answer; for htmx polling, one that ends the polling."""
        patch_vary_headers(response, ("HX-Request",))
        if not is_htmx(self.request):
            return response
        html_page = response.get("Content-Type", "").startswith("text/html")
        if response.status_code == 200 and html_page and not response.streaming:
            response.status_code = HTMX_STOP_POLLING
            return response
        # A redirect, a file, JSON ...: nothing to swap in; have htmx load it as a page.
        location = response.get("Location") if 300 <= response.status_code < 400 else None
        done = HttpResponse(status=HTMX_STOP_POLLING)
        done["HX-Redirect"] = location or self.page_url
        return no_store(done)


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
