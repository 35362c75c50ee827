"""``python -m bench.result_memory``: what one cached result costs in Redis.

For a small result and a 100 KB one, a real worker finishes jobs begun with a polling URL
under the default ``RESULT_TTL``; the figures are Redis' ``MEMORY USAGE`` of the three keys
each result keeps (rq's job hash, rq's results stream, our URL mapping) and the growth of
``used_memory`` per result over a batch, which also counts rq's registries. Quoted in
docs/deployment.rst.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path
from typing import Any

from django_rq_poll.drivers import backends

ROOT = Path(__file__).resolve().parent.parent


def _finish(count: int, task: Any, arg: int) -> list[tuple[str, str]]:
    from rq import Worker

    import django_rq_poll as poll

    backend = backends.backend()
    started = []
    for _ in range(count):
        url = f"/result/{uuid.uuid4().hex}/"
        started.append((url, poll.begin_process(task, (arg,), polling_url=url)))
    Worker([backend.queue], connection=backend.connection, serializer=backend.serializer).work(
        burst=True, logging_level="WARNING", with_scheduler=False
    )
    return started


def measure(conn: Any, task: Any, arg: int, batch: int) -> dict[str, int]:
    from rq.job import Job

    from django_rq_poll.core import keys

    _finish(1, task, arg)  # registries and queue keys exist before the batch
    before = conn.info("memory")["used_memory"]
    started = _finish(batch, task, arg)
    after = conn.info("memory")["used_memory"]
    url, task_id = started[0]
    ttl = conn.ttl(Job.key_for(task_id))
    return {
        "job_hash": conn.memory_usage(Job.key_for(task_id), samples=0) or 0,
        "results_stream": conn.memory_usage(f"rq:results:{task_id}", samples=0) or 0,
        "mapping": conn.memory_usage(keys.url_key(url), samples=0) or 0,
        "used_memory_per_result": (after - before) // batch,
        "ttl": ttl,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.result_memory", description=__doc__)
    parser.add_argument("--batch", type=int, default=200, help="results per size")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.run import standalone

    conn = standalone()
    from bench import tasks

    try:
        rows = {
            "small (3 fields)": measure(conn, tasks.summary, 1, args.batch),
            "100 KB": measure(conn, tasks.sized, 100_000, args.batch),
        }
    finally:
        conn.flushdb()
    print(f"Redis {conn.info('server')['redis_version']}, bytes per cached result:")
    header = ("result", "job hash", "results stream", "mapping", "used_memory/result", "TTL s")
    print(" | ".join(header))
    for name, m in rows.items():
        print(
            f"{name} | {m['job_hash']} | {m['results_stream']} | {m['mapping']} | "
            f"{m['used_memory_per_result']} | {m['ttl']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
