"""The flood of issue 10: 5,000 GETs with distinct query strings from one anonymous client.

Before the per-visitor cap it queued 5,000 jobs (10,497 keys, 15.6 MB). What the flood
may leave in Redis is the promise of docs/guarantees.rst, checked here; ``python -m
bench.flood`` runs the same flood and prints its figures (answers, keys, bytes, the
server's ``used_memory``, seconds).

What the flood makes Redis keep is measured as the keys it leaves in the test's
database and their exact sizes: ``MEMORY USAGE key SAMPLES 0``, summed, against the same
sum taken before. Not Redis' default ``MEMORY USAGE`` (5 samples): for a hash stored as
a hash table it sizes the first 5 fields the table yields and scales them up to all, and
that order follows the server's random hash seed, so one rq job hash (4,320 bytes) was
counted 1.6 kB by one server and 13.2 kB by another, and the same test passed on one
machine and failed on the next (131,960 bytes "of growth" against the 64 kB bound,
twice in a row on one server). Nor ``INFO``'s ``used_memory``: it belongs to the whole
server (every xdist worker's database, client buffers, the Lua script cache, the
allocator), so it moves with whatever else the server does meanwhile.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import redis
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory
from django.urls import resolve

from django_rq_poll.drivers import backends
from tests.redis_server import written

REQUESTS = 5_000
THREADS = 4  # the flood arrives concurrently, as it would at a real site
CAP = 10  # RQ_POLL['MAX_ACTIVE_JOBS'] by default
# Padding that brings each URL to just under RQ_POLL['MAX_URL_LENGTH'] (2,048): the
# largest job a request can make, so the bound holds for any query string.
PAD = "p" * 2_000
# The promise of docs/guarantees.rst: what the whole flood may add to Redis. The flood
# leaves 46,200 bytes (Redis 7.0, jemalloc): 10 job hashes of 4,320 bytes, 10 URL
# mappings of 168, the queue, the queue set and the visitor's slots.
BOUND_BYTES = 64 * 1024
# Keys it may leave: a job hash and a URL mapping per job, the queue, rq's set of
# queues, the visitor's slots.
BOUND_KEYS = 2 * CAP + 3


def key_bytes(conn: redis.Redis) -> int:
    """The exact size of every key the tests wrote (all elements counted, not sampled)."""
    return sum(int(conn.memory_usage(key, samples=0) or 0) for key in written(conn))


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


def flood(conn: redis.Redis) -> dict[str, Any]:
    """Send the flood; what it answered and what it left in ``conn``'s database."""
    keys_before, bytes_before = len(written(conn)), key_bytes(conn)
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
    return {
        "requests": REQUESTS,
        "answers": dict(sorted(codes.items())),
        "jobs": len(conn.keys(b"rq:job:*")),
        "queued": conn.llen(backends.backend().queue.key),
        "keys": len(written(conn)) - keys_before,
        "bytes (MEMORY USAGE SAMPLES 0 of every key)": key_bytes(conn) - bytes_before,
        "seconds": round(time.monotonic() - started, 1),
    }


def test_flood_from_one_anonymous_client_leaves_the_cap_of_jobs(redis_db):
    found = flood(redis_db)
    assert found["answers"] == {202: CAP, 429: REQUESTS - CAP}
    assert found["jobs"] == CAP
    assert found["queued"] == CAP
    assert found["keys"] <= BOUND_KEYS, found
    assert found["bytes (MEMORY USAGE SAMPLES 0 of every key)"] <= BOUND_BYTES, found

    # A real user's work waits behind at most the cap of the flood's jobs.
    other = Client(REMOTE_ADDR="203.0.113.5")
    assert other.get("/sum/?x=2").status_code == 202
    assert redis_db.llen(backends.backend().queue.key) == CAP + 1
