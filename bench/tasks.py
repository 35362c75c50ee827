"""Tasks the benchmarks run in real rq workers."""

from __future__ import annotations

import os
import time

import redis


def add(x: int, y: int) -> int:
    return x + y


def summary(n: int) -> dict[str, object]:
    """A small result, what most polled pages show: a few fields and a link."""
    return {"title": f"Report {n}", "total": n * 8, "pdf": f"/files/report-{n}.pdf"}


def report(n: int) -> dict[str, object]:
    """A result of a realistic size for a page: a small dict of rows."""
    return {"title": f"Report {n}", "rows": [[i, i * i, f"row {i}"] for i in range(20)]}


def hold(key: str, timeout: float = 300) -> str:
    """Stay running until ``key`` is set in Redis (bounded by ``timeout``)."""
    conn = redis.Redis.from_url(os.environ["REDIS_URL"])
    conn.set(f"{key}:started", 1, ex=600)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not conn.get(key):
        time.sleep(0.05)
    return "released"


def sized(n_bytes: int) -> dict[str, object]:
    """A result of about ``n_bytes`` of text: a big table, a GeoJSON layer."""
    # Distinct rows of 64 characters: a serializer must store each one.
    return {
        "rows": [f"{i:08d}" + "0123456789abcdef" * 3 + "01234567" for i in range(n_bytes // 64)]
    }
