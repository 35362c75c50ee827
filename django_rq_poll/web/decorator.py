"""Put slow work behind a function view: :func:`polling_view`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from ..core import meta, tasks
from . import pages
from .hooks import auser, maybe_await
from .templates import Templates

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
            owner=meta.owner_of(user) if vary_on_user else None,
            user=user,
            job_options=dict(job_options or {}),
            templates=templates or Templates(),
            failure_status=failure_status,
        )

    def decorator(view: V) -> V:
        if iscoroutinefunction(view):

            async def apoller(request: HttpRequest, args: Any, kwargs: Any) -> pages.Poller:
                # In an async view the callables may be coroutine functions.
                found = [await maybe_await(v) for v in values(request, args, kwargs)]
                return poller(request, await auser(request), args, kwargs, found)

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
