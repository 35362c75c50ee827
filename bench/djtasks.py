"""``python -m bench.djtasks``: Django's tasks through this package's backend and through
django-tasks-rq, the same task on the same queue: ``enqueue`` and ``get_result`` (of a
finished task, the call a page or an API makes again and again) as ratios to one Redis
GET measured in the same rounds. Needs the ``bench`` extra (django-tasks-rq) and Django
5.2 with the django-tasks backport, which django-tasks-rq is built on.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
from typing import Any

from bench.run import ROOT


def _finish(backend_alias: str, task: Any, count: int, worker_args: dict[str, Any]) -> list[str]:
    from rq import Worker

    from django_rq_poll.drivers import backends

    ids = [task.enqueue(i).id for i in range(count)]
    home = backends.backend()
    Worker([home.queue], connection=home.connection, **worker_args).work(
        burst=True, logging_level="WARNING", with_scheduler=False
    )
    for result_id in ids:
        status = task.get_result(result_id).status
        if status != "SUCCESSFUL":
            raise RuntimeError(f"{backend_alias}: task {result_id} ended {status}")
    return ids


def run(*, rounds: int, iterations: int) -> list[Any]:
    import django_tasks_rq

    from bench import djtasks_defs as defs
    from bench.timing import interleaved, ratio_figure
    from django_rq_poll.drivers import backends

    conn = backends.backend().connection
    conn.set("bench:get", b"x" * 32)
    ours = _finish("RQBackend", defs.summary, 100, {})
    theirs = _finish(
        "django-tasks-rq", defs.summary_tasks_rq, 100, {"job_class": django_tasks_rq.Job}
    )
    our_ids, their_ids = itertools.cycle(ours), itertools.cycle(theirs)
    loop = asyncio.new_event_loop()
    ops = {
        "GET": lambda: conn.get("bench:get"),
        "enqueue": lambda: defs.summary.enqueue(1),
        "enqueue (tasks-rq)": lambda: defs.summary_tasks_rq.enqueue(1),
        "get_result": lambda: defs.summary.get_result(next(our_ids)),
        "get_result (tasks-rq)": lambda: defs.summary_tasks_rq.get_result(next(their_ids)),
        "aget_result": lambda: loop.run_until_complete(defs.summary.aget_result(next(our_ids))),
    }
    try:
        timings = interleaved(ops, rounds=rounds, iterations=iterations)
    finally:
        loop.close()
    return [
        ratio_figure("enqueue, RQBackend", timings, "enqueue"),
        ratio_figure("enqueue, django-tasks-rq", timings, "enqueue (tasks-rq)"),
        ratio_figure("get_result (finished), RQBackend", timings, "get_result"),
        ratio_figure("get_result (finished), django-tasks-rq", timings, "get_result (tasks-rq)"),
        ratio_figure("aget_result (finished), RQBackend", timings, "aget_result"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.djtasks", description=__doc__)
    parser.add_argument("--rounds", type=int, default=25, help="rounds (median taken)")
    parser.add_argument("--iterations", type=int, default=100, help="calls per op per round")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.run import standalone

    conn = standalone("bench.djtasks_settings")
    from bench.timing import table

    try:
        figures = run(rounds=args.rounds, iterations=args.iterations)
    finally:
        conn.flushdb()
    print(
        f"Django's tasks, Redis {conn.info('server')['redis_version']}: medians of "
        f"{args.rounds} interleaved rounds (ratios: median of the per-round ratios)"
    )
    print(table(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
