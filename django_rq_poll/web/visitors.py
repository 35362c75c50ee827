"""Whom a page's job counts against, and the options pages add for anonymous visitors."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.module_loading import import_string

from ..conf import conf


def visitor_of(request: HttpRequest, user: Any) -> str:
    """Whom a page's job counts against: the logged-in user, else ``VISITOR_KEY``'s answer
    (``REMOTE_ADDR`` by default)."""
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    path = conf.VISITOR_KEY
    if path is not None:
        key = import_string(path)(request)
        if key:
            return f"anonymous:{key}"
    return f"anonymous:{request.META.get('REMOTE_ADDR') or 'unknown'}"


def job_defaults(user: Any) -> dict[str, Any]:
    """Job options a page adds unless its view set them: anonymous visitors' results and
    failures go soon."""
    if user is not None and getattr(user, "is_authenticated", False):
        return {}
    return {"failure_ttl": conf.ANONYMOUS_FAILURE_TTL, "result_ttl": conf.ANONYMOUS_RESULT_TTL}
