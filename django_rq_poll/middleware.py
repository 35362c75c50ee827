"""``RedisUnavailableMiddleware``: the 503 page for any view that finds Redis gone.

The polling views answer an outage themselves. Other pages of a site read Redis too: a
listing built with :mod:`django_rq_poll.inventory`, a template using the ``rq_poll`` tags,
django-rq's dashboard. Without this they answer a bare 500 while Redis restarts; with it
they answer the same 503 page with ``Retry-After`` as the polling pages.
"""

from __future__ import annotations

import redis
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.deprecation import MiddlewareMixin

from .core.errors import failure
from .exceptions import RedisRefused, RedisUnavailable
from .web.responses import unavailable


def outage(exception: Exception) -> RedisUnavailable | None:
    """The outage an exception means, or ``None``: ours (from django_rq_poll's own calls,
    :class:`~django_rq_poll.RedisRefused` included) as it is, and redis-py's (from code
    that talks to Redis itself) sorted as :func:`django_rq_poll.core.errors.failure` sorts
    them: a lost connection, OOM, READONLY, BUSY, LOADING ... Other redis-py errors
    (a wrong command, a missing permission in code of your own) stay 500s."""
    if isinstance(exception, RedisUnavailable):
        return exception
    if isinstance(exception, redis.RedisError):
        mapped = failure(exception, "the site's Redis")
        if not isinstance(mapped, RedisRefused):
            return mapped
    return None


class RedisUnavailableMiddleware(MiddlewareMixin):
    """Add to ``MIDDLEWARE`` (anywhere): a view raising an outage error answers 503."""

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponseBase | None:
        found = outage(exception)
        if found is None:
            return None
        response = unavailable(request, found)
        # Rendered now: an outage met while Django renders a view's TemplateResponse (a
        # template using the rq_poll tags) comes here, and Django sends what this returns
        # as it is, without rendering it.
        render = getattr(response, "render", None)
        return render() if render is not None else response
