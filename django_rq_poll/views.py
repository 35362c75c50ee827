"""Put slow work behind a page: the view mixin, the function-view decorator, the status view.

The same URL answers "still running" (202) until the job's result is ready, then the
view's own response with the result.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponseNotAllowed, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext

from . import api, keys, pages, store, tasks, texts, workers
from .conf import conf
from .exceptions import ImproperlyConfigured, RedisUnavailable
from .pages import Templates
from .progress import Progress
from .states import State

if TYPE_CHECKING:
    from django.views import View

    _Base = View
else:
    _Base = object

__all__ = ["PollingMixin", "polling_view", "status"]


class PollingMixin(_Base):
    """Answer GET with a "still running" page until the task's result is ready.

    Then the view answers as it normally would, with the result in its context as
    ``result`` (and as ``self.result``). Put access-control mixins before this one, and
    look objects up in ``get_task_args`` (e.g. ``self.get_object()``) so that a request
    for something that does not exist fails before a job starts.
    """

    #: The task: a module-level function or its dotted path.
    task: tasks.TaskRef | None = None
    #: rq options for the job (``queue``, ``timeout``, ``result_ttl``, ``meta`` ...).
    job_options: dict[str, Any] = {}
    #: Keep results per user; ``False`` shares one result among all users of the URL.
    vary_on_user: bool = True
    #: The "still running" page (status 202).
    running_template_name: str = Templates.running
    #: The page of a failed or canceled job (status ``failure_status``), with its "try
    #: again" form.
    failed_template_name: str = Templates.failed
    #: The HTTP status of the failure page: 500 tells monitoring and scripts that the
    #: work failed; 200 keeps browsers' consoles quiet (see "Failure status" in the docs).
    failure_status: int = 500
    #: The page shown while Redis cannot be reached (status 503).
    unavailable_template_name: str = Templates.unavailable
    #: The running fragment that htmx polls in place of the running page.
    htmx_running_template_name: str = Templates.htmx_running
    #: The failure fragment for htmx (status 286, since htmx swaps no error status).
    htmx_failed_template_name: str = Templates.htmx_failed
    #: The htmx fragment shown while Redis cannot be reached (status 200, keeps polling).
    htmx_unavailable_template_name: str = Templates.htmx_unavailable
    #: The page that says a file result is ready and fetches it once.
    ready_template_name: str = Templates.ready
    #: Its htmx fragment, also used for redirect and other non-page results.
    htmx_ready_template_name: str = Templates.htmx_ready
    #: The page shown instead of starting a job over a limit: 429 when the visitor has
    #: ``RQ_POLL['MAX_ACTIVE_JOBS']`` jobs already, 503 when the queue is full.
    limited_template_name: str = Templates.limited
    #: Its htmx fragment (same statuses).
    htmx_limited_template_name: str = Templates.htmx_limited
    #: The page of a URL over ``RQ_POLL['MAX_URL_LENGTH']`` (status 414).
    too_long_template_name: str = Templates.too_long

    #: The user the polling key and the job's owner are taken from (resolved once).
    polling_user: Any = None
    #: The finished job's result, set before the view's own handler runs.
    result: Any

    def get_task(self) -> tasks.TaskRef:
        """The task to run: ``task`` by default, for views that choose it per request."""
        task = self.task
        if inspect.ismethod(task) and task.__self__ is self:
            task = task.__func__  # a function set as a class attribute binds like a method
        if task is None:
            raise ImproperlyConfigured(
                f"{type(self).__name__} needs a task: set task = <function or dotted path> "
                "or define get_task()."
            )
        return task

    def get_task_args(self) -> Sequence[Any]:
        """The task's positional arguments; they travel through the queue's serializer,
        so pass ids and plain data rather than model instances."""
        return ()

    def get_task_kwargs(self) -> dict[str, Any]:
        """The task's keyword arguments, under the same rule as ``get_task_args``."""
        return {}

    def get_job_options(self) -> dict[str, Any]:
        """A copy of ``job_options``, so a view may vary them per request."""
        return dict(self.job_options)

    def get_polling_url(self) -> str:
        """The page's key: path and query string by default.

        Override it to ignore query parameters that do not change the result. The user
        is added to it unless ``vary_on_user`` is ``False``.
        """
        return self.request.get_full_path()

    def get_result_response(self, result: Any) -> HttpResponseBase | None:
        """Return a response (a redirect, JSON, a file ...) to answer with instead of
        the view's usual one; ``None`` lets the view render as usual. May be async in
        an async view."""
        return None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        """The parent view's context, plus ``result`` once there is one."""
        if hasattr(self, "result"):
            kwargs.setdefault("result", self.result)
        parent = getattr(super(), "get_context_data", None)
        return parent(**kwargs) if parent is not None else kwargs

    def get_polling_templates(self) -> Templates:
        """The polling pages' templates, from the ``*_template_name`` attributes."""
        return Templates(
            running=self.running_template_name,
            failed=self.failed_template_name,
            unavailable=self.unavailable_template_name,
            htmx_running=self.htmx_running_template_name,
            htmx_failed=self.htmx_failed_template_name,
            htmx_unavailable=self.htmx_unavailable_template_name,
            ready=self.ready_template_name,
            htmx_ready=self.htmx_ready_template_name,
            limited=self.limited_template_name,
            htmx_limited=self.htmx_limited_template_name,
            too_long=self.too_long_template_name,
        )

    def _hooks(self) -> list[Callable[[], Any]]:
        # In the order they are called: a hook may rely on one before it.
        return [
            self.get_task,
            self.get_task_args,
            self.get_task_kwargs,
            self.get_polling_url,
            self.get_job_options,
        ]

    def _poller(self, user: Any, values: Sequence[Any] | None = None) -> pages.Poller:
        self.polling_user = user
        if values is None:
            values = [hook() for hook in self._hooks()]
            for hook, value in zip(self._hooks(), values, strict=True):
                if inspect.isawaitable(value):
                    _close(value)
                    raise ImproperlyConfigured(
                        f"{type(self).__name__}.{hook.__name__}() is async, but the view is "
                        "not: make its handlers (get ...) async def too, or the hook a plain def."
                    )
        task, task_args, task_kwargs, page_key, job_options = values
        return pages.Poller(
            request=self.request,
            task=task,
            task_args=task_args,
            task_kwargs=task_kwargs,
            polling_url=pages.polling_key(page_key, user if self.vary_on_user else None),
            owner=pages.owner_of(user) if self.vary_on_user else None,
            user=user,
            job_options=job_options,
            templates=self.get_polling_templates(),
            failure_status=self.failure_status,
        )

    async def _apoller(self, user: Any) -> pages.Poller:
        """The async view's poller: a hook may be ``async def`` (to query the database)."""
        self.polling_user = user
        return self._poller(user, [await _maybe_await(hook()) for hook in self._hooks()])

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if self.view_is_async:
            return self._adispatch(request, *args, **kwargs)
        if request.method in ("GET", "HEAD"):
            poller = self._poller(getattr(request, "user", None))

            def answer(result: Any) -> HttpResponseBase:
                self.result = result
                response = self.get_result_response(result)
                if response is None:
                    response = super(PollingMixin, self).dispatch(request, *args, **kwargs)
                return response

            return pages.handle(poller, answer)
        if pages.wants_retry(request):
            return self._poller(getattr(request, "user", None)).retry()
        return super().dispatch(request, *args, **kwargs)

    async def _adispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.method in ("GET", "HEAD"):
            poller = await self._apoller(await _auser(request))

            async def answer(result: Any) -> HttpResponseBase:
                self.result = result
                response: Any = self.get_result_response(result)
                if inspect.isawaitable(response):
                    response = await response
                if response is None:
                    parent: Any = super(PollingMixin, self).dispatch
                    response = await parent(request, *args, **kwargs)
                return response  # type: ignore[no-any-return]

            return await pages.ahandle(poller, answer)
        if pages.wants_retry(request):
            return await (await self._apoller(await _auser(request))).aretry()
        parent: Any = super().dispatch  # an async view's handlers return coroutines
        return await parent(request, *args, **kwargs)


def _close(awaitable: Any) -> None:
    close = getattr(awaitable, "close", None)  # no "never awaited" warning on top
    if close is not None:
        close()


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def _auser(request: HttpRequest) -> Any:
    auser = getattr(request, "auser", None)
    return await auser() if auser is not None else None


# -- function views --------------------------------------------------------------------
V = TypeVar("V", bound=Callable[..., Any])
Arg = Any  # a value, or a callable taking (request, *view_args, **view_kwargs)


def polling_view(
    task: tasks.TaskRef,
    *,
    task_args: Arg = (),
    task_kwargs: Arg = None,
    polling_url: Callable[..., str] | None = None,
    vary_on_user: bool = True,
    job_options: dict[str, Any] | None = None,
    templates: Templates | None = None,
    failure_status: int = 500,
) -> Callable[[V], V]:
    """Decorate a function view that shows a task's result, like :class:`PollingMixin`.

    The view is called with the result as the keyword argument ``result`` once it is
    ready; until then the decorator answers with the running (or failed) page.
    ``task_args``, ``task_kwargs`` and ``polling_url`` may be callables taking the
    view's own arguments ``(request, *args, **kwargs)``. Async views work too.
    ``failure_status`` is the HTTP status of the failure page, as
    :attr:`PollingMixin.failure_status`.
    """
    tasks.resolve(task)  # refuse an unrunnable task at import time, not on first request

    def values(request: HttpRequest, args: Any, kwargs: Any) -> list[Any]:
        def value(arg: Arg) -> Any:
            return arg(request, *args, **kwargs) if callable(arg) else arg

        page_key = polling_url if polling_url is not None else request.get_full_path()
        return [value(task_args), value(task_kwargs), value(page_key)]

    def poller(
        request: HttpRequest, user: Any, args: Any, kwargs: Any, found: list[Any] | None = None
    ) -> pages.Poller:
        the_args, the_kwargs, page_key = (
            found if found is not None else values(request, args, kwargs)
        )
        key = pages.polling_key(page_key, user if vary_on_user else None)
        return pages.Poller(
            request=request,
            task=task,
            task_args=the_args,
            task_kwargs=the_kwargs or {},
            polling_url=key,
            owner=pages.owner_of(user) if vary_on_user else None,
            user=user,
            job_options=dict(job_options or {}),
            templates=templates or Templates(),
            failure_status=failure_status,
        )

    def decorator(view: V) -> V:
        if iscoroutinefunction(view):

            async def apoller(request: HttpRequest, args: Any, kwargs: Any) -> pages.Poller:
                # In an async view the callables may be coroutine functions.
                found = [await _maybe_await(v) for v in values(request, args, kwargs)]
                return poller(request, await _auser(request), args, kwargs, found)

            @functools.wraps(view)
            async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                if request.method in ("GET", "HEAD"):
                    found = await apoller(request, args, kwargs)

                    async def answer(result: Any) -> HttpResponseBase:
                        return await view(request, *args, result=result, **kwargs)  # type: ignore[no-any-return]

                    return await pages.ahandle(found, answer)
                if pages.wants_retry(request):
                    return await (await apoller(request, args, kwargs)).aretry()
                return await view(request, *args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            user = getattr(request, "user", None)
            if request.method in ("GET", "HEAD"):
                return pages.handle(
                    poller(request, user, args, kwargs),
                    lambda result: view(request, *args, result=result, **kwargs),
                )
            if pages.wants_retry(request):
                return poller(request, user, args, kwargs).retry()
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


# -- the status endpoint -----------------------------------------------------------------
def status(request: HttpRequest, job_id: str) -> HttpResponseBase:
    """JSON about one job, for the polling script: never its result, never a traceback.

    A job recorded with an owner answers only to that user; others get the same 404 as
    for an id that does not exist, so ids of other users' jobs cannot be probed.
    """
    if request.method != "GET":
        return pages.no_store(HttpResponseNotAllowed(["GET"]))
    if not keys.is_valid_job_id(job_id):
        return _not_found()
    try:
        snap = api.get_process_snapshot(task_id=job_id)
    except RedisUnavailable as exc:
        return _unavailable(request, job_id, exc)
    if snap is None or not _may_read(request, snap.meta or {}):
        return _not_found()
    try:
        wait = workers.wait_of(snap.task_id, snap.origin, snap.rq_status)
    except RedisUnavailable as exc:
        return _unavailable(request, job_id, exc)
    details = pages.shows_details(getattr(request, "user", None))
    return pages.no_store(JsonResponse(status_data(snap, wait, details=details)))


def status_data(
    snap: store.Snapshot, wait: workers.Wait | None = None, *, details: bool = False
) -> dict[str, Any]:
    """What the status endpoint (and each event of a stream) says of a job; ``details``
    (the workers and the staff notice) only for those who may see them."""
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
        "url": _page_of(snap.meta or {}),
        "position": wait.position if wait is not None else None,
        "workers": wait.workers if wait is not None and details else None,
        "notice": workers.no_worker_notice(wait) if details else None,
    }


def _unavailable(request: HttpRequest, job_id: str, exc: RedisUnavailable) -> HttpResponseBase:
    response = JsonResponse({"error": gettext("Try again in a moment.")}, status=503)
    response["Retry-After"] = str(conf.RETRY_AFTER)
    level = pages.outage_level(exc)
    pages.logged(response, request, level, "Status of job %s answered 503: %s", job_id, exc)
    return pages.no_store(response)


def _not_found() -> HttpResponseBase:
    return pages.no_store(JsonResponse({"error": gettext("No such process.")}, status=404))


def _may_read(request: HttpRequest, meta: dict[str, Any]) -> bool:
    owner = store.owner_in(meta)
    if owner is None:
        return True  # shared or anonymous: the unguessable id is the secret
    user = getattr(request, "user", None)
    return pages.owner_of(user) == owner


def _page_of(meta: dict[str, Any]) -> str | None:
    """The job's polling key when it is a local path, without the user part.

    That is what every visitor of the result shares (for the default key, the page's
    path and query string). Never the page of the visitor who started the job: a view
    whose key ignores some parameters would show one visitor what another requested
    (a token in the query string, say). Never a URL that leaves the site.
    """
    url = meta.get(store.META_URL)
    if isinstance(url, str) and url[:1] == "/" and url[1:2] not in ("/", "\\"):
        return url.split("#", 1)[0]
    return None
