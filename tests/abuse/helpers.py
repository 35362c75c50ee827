"""Shared by the abuse tests: a visitor key for sites behind a proxy, Redis measurements."""

from __future__ import annotations

from typing import Any

import redis
from django.http import HttpRequest

from django_rq_poll.core import keys


def client_ip(request: HttpRequest) -> str:
    """The example of docs/deployment.rst: the address the site's own proxy appended."""
    forwarded = request.headers.get("X-Forwarded-For", "")
    return forwarded.rsplit(",", 1)[-1].strip() or request.META.get("REMOTE_ADDR", "")


def active_jobs(conn: redis.Redis, visitor: str) -> list[bytes]:
    """The job ids counted against a visitor (pruned lazily: read their statuses too)."""
    members: list[Any] = conn.zrange(keys.visitor_key(visitor), 0, -1)
    return members


def used_memory(conn: redis.Redis) -> int:
    return int(conn.info("memory")["used_memory"])
