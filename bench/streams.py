"""``python -m bench.streams``: what open event streams cost one server process.

Opens ``--streams`` streams on one queued job through the ASGI application in-process
(Django's AsyncClient: no sockets, so this counts the application's share), reads each
one's first event, and reports the Python heap each open stream holds (tracemalloc) and
the Redis connections the process holds for all of them (the hub's two, whatever the
number of streams). A real server adds one socket (one file descriptor) per stream.
Quoted in docs/guarantees.rst.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


async def _open(count: int, task_id: str) -> tuple[int, int]:
    from django.test import AsyncClient

    from django_rq_poll.push import listen

    client = AsyncClient()
    url = f"/rq-poll/events/{task_id}/"
    first = await client.get(url)  # the hub, its connections and topic exist before
    await anext(aiter(first.streaming_content))
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    responses = []
    for n in range(count):
        response = await client.get(url, headers={"X-Bench-Visitor": str(n)})
        chunks = aiter(response.streaming_content)
        await anext(chunks)  # the retry hint
        await anext(chunks)  # the job's state
        responses.append((response, chunks))
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    connections = len(listen.hub().topics), 2
    for response, chunks in responses:
        await chunks.aclose()
        response.close()
    first.close()
    await listen.hub().aclose()
    return held // count, connections[1]


def visitor(request) -> str:  # VISITOR_KEY: one visitor per stream
    return str(request.headers.get("X-Bench-Visitor", "bench"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.streams", description=__doc__)
    parser.add_argument("--streams", type=int, default=500)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.run import standalone

    conn = standalone()
    from django.conf import settings

    settings.RQ_POLL = {**getattr(settings, "RQ_POLL", {}), "VISITOR_KEY": "bench.streams.visitor"}
    settings.ALLOWED_HOSTS = ["*"]
    import django_rq_poll as poll

    try:
        task_id = poll.begin_process("bench.tasks.summary", (1,))  # no worker: it waits
        per_stream, redis_connections = asyncio.run(_open(args.streams, task_id))
    finally:
        conn.flushdb()
    print(f"{args.streams} open streams on one job, one process:")
    print(f"Python heap per open stream: {per_stream:,} bytes")
    print(f"Redis connections for all of them: {redis_connections} (the hub's)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
