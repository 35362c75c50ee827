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

from . import pages
from .exceptions import RedisUnavailable

# What a lost connection raises: ours (from django_rq_poll's own calls) and redis-py's
# (from code that talks to Redis itself). Other Redis errors are bugs, left as 500s.
OUTAGES = (RedisUnavailable, redis.ConnectionError, redis.TimeoutError)


class RedisUnavailableMiddleware(MiddlewareMixin):
    """Add to ``MIDDLEWARE`` (anywhere): a view raising an outage error answers 503."""

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponseBase | None:
        if not isinstance(exception, OUTAGES):
            return None
        return pages.unavailable(request, exception)
