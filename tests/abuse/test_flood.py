"""The flood of issue 10: 5,000 GETs with distinct query strings from one anonymous client.

Before the per-visitor cap it queued 5,000 jobs (10,497 keys, 15.6 MB). The figures
printed at the end of the run are the ones docs/guarantees.rst states.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory
from django.urls import resolve

from django_rq_poll.drivers import backends
from tests.redis_server import written

from .conftest import FIGURES
from .helpers import used_memory

REQUESTS = 5_000
THREADS = 4  # the flood arrives concurrently, as it would at a real site
CAP = 10  # RQ_POLL['MAX_ACTIVE_JOBS'] by default
# Padding that brings each URL to just under RQ_POLL['MAX_URL_LENGTH'] (2,048): the
# largest job a request can make, so the bound holds for any query string.
PAD = "p" * 2_000
# The promise of docs/guarantees.rst: what the whole flood may add to Redis.
BOUND_BYTES = 64 * 1024


def _key_bytes(conn) -> int:
    return sum(int(conn.memory_usage(key) or 0) for key in written(conn))


def _flood(first: int, count: int, codes: Counter[int]) -> None:
    """GETs through the real URL resolver and view (the middleware is the site's own)."""
    factory = RequestFactory(REMOTE_ADDR="198.51.100.23")
    for n in range(first, first + count):
        request = factory.get(f"/sum/?x=1&n={n}&pad={PAD}")
        request.user = AnonymousUser()
        response = resolve(request.path).func(request)
        if hasattr(response, "render"):
            response.render()
        codes[response.status_code] += 1


def test_flood_from_one_anonymous_client_leaves_the_cap_of_jobs(redis_db):
    memory_before = used_memory(redis_db)
    started = time.monotonic()
    counters = [Counter[int]() for _ in range(THREADS)]
    share = REQUESTS // THREADS
    threads = [
        threading.Thread(target=_flood, args=(i * share, share, counters[i]))
        for i in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sum(counters, Counter[int]())
    seconds = time.monotonic() - started
    jobs = redis_db.keys(b"rq:job:*")
    key_bytes = _key_bytes(redis_db)
    FIGURES["flood"] = {
        "requests": REQUESTS,
        "answers": dict(sorted(codes.items())),
        "jobs": len(jobs),
        "keys": len(written(redis_db)),
        "bytes (MEMORY USAGE of every key)": key_bytes,
        "used_memory growth": used_memory(redis_db) - memory_before,
        "seconds": round(seconds, 1),
    }
    assert codes == {202: CAP, 429: REQUESTS - CAP}
    assert len(jobs) == CAP
    assert redis_db.llen(backends.backend().queue.key) == CAP
    assert key_bytes <= BOUND_BYTES
    assert used_memory(redis_db) - memory_before < 1024 * 1024  # was 15.6 MB

    # A real user's work waits behind at most the cap of the flood's jobs.
    other = Client(REMOTE_ADDR="203.0.113.5")
    assert other.get("/sum/?x=2").status_code == 202
    assert redis_db.llen(backends.backend().queue.key) == CAP + 1
