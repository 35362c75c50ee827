"""A small, bounded HTTP load generator for loopback: threads, one connection per request."""

from __future__ import annotations

import http.client
import itertools
import statistics
import threading
import time
from collections import Counter
from typing import Any

LOOPBACK = "127.0.0.1"


def load(
    port: int,
    path: str,
    *,
    clients: int,
    requests: int,
    max_seconds: float,
    expect: int,
    host: str = LOOPBACK,
) -> dict[str, Any]:
    """``requests`` GETs of ``path`` by ``clients`` threads; stops early at ``max_seconds``.

    An error is a failed connection, a timeout, or a status other than ``expect``.
    """
    if host != LOOPBACK:
        raise ValueError("the load generator only talks to 127.0.0.1")
    tickets = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    deadline = time.monotonic() + max_seconds

    def client() -> None:
        while next(tickets) < requests and time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(host, port, timeout=10)
                try:
                    conn.request("GET", path, headers={"Connection": "close"})
                    response = conn.getresponse()
                    response.read()
                    outcome = str(response.status)
                finally:
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                outcome = type(exc).__name__
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[outcome] += 1

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max_seconds + 15)
    seconds = time.perf_counter() - started
    done = len(latencies)
    ordered = sorted(latencies)
    return {
        "path": path,
        "clients": clients,
        "requests": done,
        "seconds": round(seconds, 3),
        "rps": done / seconds if seconds else 0.0,
        "p50_ms": statistics.median(ordered) * 1000 if ordered else None,
        "p99_ms": ordered[min(done - 1, int(done * 0.99))] * 1000 if ordered else None,
        "errors": done - statuses.get(str(expect), 0),
        "statuses": dict(statuses),
    }
