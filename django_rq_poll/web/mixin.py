"""Put slow work behind a class-based view: :class:`PollingMixin`.

The same URL answers "still running" (202) until the job's result is ready, then the
view's own response with the result. Sync and async views run the same page program
(:mod:`.pages`); only calling the view's own handlers differs.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase

from ..core import meta, tasks
from ..exceptions import ImproperlyConfigured
from . import pages
from .hooks import auser, close_unawaited, maybe_await
from .templates import NAMES, Templates

if TYPE_CHECKING:
    from django.views import View

    _Base = View
else:
    _Base = object


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
        return Templates(**{name: getattr(self, f"{name}_template_name") for name in NAMES})

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
                    close_unawaited(value)
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
            owner=meta.owner_of(user) if self.vary_on_user else None,
            user=user,
            job_options=job_options,
            templates=self.get_polling_templates(),
            failure_status=self.failure_status,
        )

    async def _apoller(self, user: Any) -> pages.Poller:
        """The async view's poller: a hook may be ``async def`` (to query the database)."""
        self.polling_user = user
        return self._poller(user, [await maybe_await(hook()) for hook in self._hooks()])

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
            poller = await self._apoller(await auser(request))

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
            return await (await self._apoller(await auser(request))).aretry()
        parent: Any = super().dispatch  # an async view's handlers return coroutines
        return await parent(request, *args, **kwargs)
