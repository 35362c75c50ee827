"""Shared by the abuse tests: Redis measurements."""

from __future__ import annotations

from typing import Any

import redis

from django_rq_poll.core import keys


def active_jobs(conn: redis.Redis, visitor: str) -> list[bytes]:
    """The job ids counted against a visitor (pruned lazily: read their statuses too)."""
    members: list[Any] = conn.zrange(keys.visitor_key(visitor), 0, -1)
    return members


def used_memory(conn: redis.Redis) -> int:
    return int(conn.info("memory")["used_memory"])
