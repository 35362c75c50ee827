"""Put slow work behind a page: the view mixin, the function-view decorator, the status view.

The same URL answers "still running" (202) until the job's result is ready, then the
view's own response with the result. They live in :mod:`django_rq_poll.web`; this module
is their public address.
"""

from __future__ import annotations

from .web.decorator import polling_view
from .web.delivery import DELIVER_PARAM as DELIVER_PARAM
from .web.endpoints import events, status
from .web.mixin import PollingMixin
from .web.templates import Templates

__all__ = ["PollingMixin", "Templates", "events", "polling_view", "status"]
