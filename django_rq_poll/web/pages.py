"""What a polling page answers: the result, or a running, failed or unavailable page.

Shared by :class:`~django_rq_poll.views.PollingMixin` and the ``polling_view``
decorator, sync and async alike: a page's answer is one program (:mod:`..core.ops`),
run by the synchronous driver (:meth:`Poller.poll`) or awaited (:meth:`Poller.apoll`).
One lookup decides the answer; only a page that must start or find a running job makes
a second call, and only a queued job a third (its place in the queue).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers

from ..conf import conf
from ..core import calls, limits, meta, reads, tasks, texts
from ..core.calls import StatusText
from ..core.ops import Program
from ..core.progress import Progress
from ..core.snapshot import Snapshot, keeps, visible_message
from ..core.states import State
from ..core.wait import Wait
from ..drivers import backends
from ..drivers.twins import awaited, blocking
from ..exceptions import QueueFull, RedisUnavailable, TooManyJobs
from ..ops import notices
from ..push import offer
from . import delivery, html, visitors
from .responses import (
    HTMX_STOP_POLLING,
    error_label,
    is_htmx,
    limited,
    logged,
    milliseconds,
    no_store,
    own_url,
    seconds,
    shows_details,
    status_url,
    too_long,
    unavailable,
)
from .templates import Templates

# The POST field of the "try again" form; other POSTs go to the view untouched.
RETRY_FIELD = "rq_poll_retry"


@dataclass(frozen=True)
class Ready:
    """The finished job's result, for the view to answer with."""

    result: Any


def wants_retry(request: HttpRequest) -> bool:
    return request.method == "POST" and RETRY_FIELD in request.POST


def polling_key(page_key: str, user: Any) -> str:
    """The page's key, plus the user when one is given and logged in.

    The user part follows a ``#``. Django escapes ``#`` in the path but not in the
    query string, and some servers (runserver, uvicorn with h11) pass a raw one
    through; it is escaped here, so no request can spell another user's key. The user
    part is added to every key, a view's own included, so overriding the page key can
    never share one user's result with another.
    """
    owner = meta.owner_of(user)
    key = delivery.without_marker(page_key).replace("#", "%23")
    return key if owner is None else f"{key}#user={owner}"


Outcome = Ready | HttpResponseBase


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

    @property
    def too_long(self) -> bool:
        return limits.is_too_long(self.polling_url) or limits.is_too_long(self.page_url)

    # -- the two ways to run a page's program ------------------------------------------
    def poll(self) -> Outcome:
        """GET, blocking: the result, or the page to answer meanwhile."""
        return blocking(self.polling)

    async def apoll(self) -> Outcome:
        """GET, awaited: the same program on ``redis.asyncio``."""
        return await awaited(self.polling)

    def retry(self) -> HttpResponseBase:
        """POST "try again", blocking (:meth:`aretry`: awaited)."""
        return blocking(self.retrying)

    async def aretry(self) -> HttpResponseBase:
        return await awaited(self.retrying)

    # -- the programs ------------------------------------------------------------------
    def polling(self, home: backends.Backend) -> Program[Outcome]:
        """One lookup decides; only a page with nothing to keep makes the one atomic
        start (mapping checked again, visitor's jobs counted, enqueue and mapping)."""
        if self.too_long:
            return too_long(self.request, self.templates.too_long)
        try:
            snap = yield from calls.get_process_snapshot(home, self.polling_url, result=True)
            if snap is not None and snap.state.done:
                return self._settled(snap)
            if snap is not None and keeps(snap):
                status = calls.found_status(snap)
            else:
                status = yield from calls.start_unless_active(home, **self._begin_kwargs())
            wait = yield from self._wait(home, status, snap)
        except RedisUnavailable as exc:
            return self._unavailable(exc)
        except (TooManyJobs, QueueFull) as exc:
            return limited(self.request, exc, self.templates)
        return self._running(status, snap, wait)

    def retrying(self, home: backends.Backend) -> Program[HttpResponseBase]:
        if self.too_long:
            return too_long(self.request, self.templates.too_long)
        try:
            snap = yield from calls.get_process_snapshot(home, self.polling_url)
            if snap is not None and snap.state in (State.FAILED, State.CANCELED):
                yield from calls.forget_process(home, task_id=snap.task_id)
            yield from calls.check_status_or_begin(home, **self._begin_kwargs())
        except RedisUnavailable as exc:
            return self._unavailable(exc)
        except (TooManyJobs, QueueFull) as exc:
            return limited(self.request, exc, self.templates)
        return no_store(HttpResponseRedirect(self.page_url, status=303))

    def _wait(
        self, home: backends.Backend, status: StatusText, snap: Snapshot | None
    ) -> Program[Wait | None]:
        """The queue's view of a job that may sit in its queue (pending), else None."""
        if status.state is not State.PENDING:
            return None
        if snap is not None and snap.task_id == status.task_id:
            queue, rq_status = snap.origin or None, snap.rq_status
        else:
            queue, rq_status = self.job_options.get("queue"), "queued"
        return (yield from reads.wait(home, status.task_id, queue, rq_status))

    def _unavailable(self, exc: RedisUnavailable) -> HttpResponseBase:
        templates = self.templates
        return unavailable(self.request, exc, templates.unavailable, templates.htmx_unavailable)

    def _begin_kwargs(self) -> dict[str, Any]:
        options = {**visitors.job_defaults(self.user), **self.job_options}
        job_meta = dict(options.pop("meta", None) or {})
        job_meta[meta.META_OWNER] = self.owner
        if self.polling_url.split("#", 1)[0] != self.page_url:
            # The URL is kept once: the page only when the polling key does not spell it.
            job_meta[meta.META_PAGE] = self.page_url
        return {
            "task_method": self.task,
            "task_args": tuple(self.task_args),
            "task_kwargs": dict(self.task_kwargs),
            "polling_url": self.polling_url,
            "visitor": visitors.visitor_of(self.request, self.user),
            "meta": job_meta,
            **options,
        }

    # -- the pages ---------------------------------------------------------------------
    def _settled(self, snap: Snapshot) -> Outcome:
        if snap.state is State.COMPLETE:
            return Ready(snap.return_value)
        return self._failed(snap)

    def _running(
        self, status: StatusText, snap: Snapshot | None, wait: Wait | None
    ) -> HttpResponseBase:
        progress = Progress.from_meta(snap.meta) if snap is not None else None
        shown: str = status
        if status.state is State.PENDING and not status.started:
            shown = texts.waiting_text(wait.position if wait is not None else None)
        context = {
            "status": shown,
            "wait": wait,
            "notice": notices.no_worker_notice(wait) if shows_details(self.user) else None,
            "state": status.state,
            "task_id": status.task_id,
            "progress": progress,
            "progress_bar": html.progress_bar(progress=progress),
            "status_url": status_url(status.task_id),
            "events_url": offer.events_url(self.request, status.task_id),
            "page_url": self.page_url,
            "polling_url": self.polling_url,
            "poll_interval": seconds(conf.POLL_INTERVAL),
            "poll_interval_ms": milliseconds(conf.POLL_INTERVAL),
            "poll_max_interval_ms": milliseconds(max(conf.POLL_MAX_INTERVAL, conf.POLL_INTERVAL)),
            # the script not running by then, the page reloads itself (html.script_tag)
            "poll_fallback_ms": round(max(2 * conf.POLL_INTERVAL, 3) * 1000),
        }
        template = self.templates.htmx_running if is_htmx(self.request) else self.templates.running
        return no_store(TemplateResponse(self.request, template, context, status=202))

    def _failed(self, snap: Snapshot) -> HttpResponseBase:
        show_error = shows_details(self.user)
        context = {
            "status": texts.status_text(snap.state),
            "state": snap.state,
            "canceled": snap.state is State.CANCELED,
            "task_id": snap.task_id,
            "error": snap.error if show_error else None,
            "message": visible_message(snap.error),
            "error_label": error_label() if show_error else "",
            "notice": (
                notices.unreadable_job_notice(snap.error, snap.origin) if show_error else None
            ),
            "page_url": self.page_url,
            "retry_field": RETRY_FIELD,
        }
        htmx = is_htmx(self.request)
        template = self.templates.htmx_failed if htmx else self.templates.failed
        status = HTMX_STOP_POLLING if htmx else self.failure_status
        response = TemplateResponse(self.request, template, context, status=status)
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


def handle(poller: Poller, answer: Callable[[Any], HttpResponseBase]) -> HttpResponseBase:
    """GET: the running/failed page, or ``answer(result)`` once the result is ready."""
    outcome = poller.poll()
    if not isinstance(outcome, Ready):
        return outcome
    return poller.finish(answer(outcome.result))


async def ahandle(
    poller: Poller, answer: Callable[[Any], Awaitable[HttpResponseBase]]
) -> HttpResponseBase:
    """:func:`handle` for async views: the same page program, awaited."""
    outcome = await poller.apoll()
    if not isinstance(outcome, Ready):
        return outcome
    return poller.finish(await answer(outcome.result))
