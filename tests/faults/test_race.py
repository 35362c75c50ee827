"""Processes released together on one URL start exactly one job, every time."""

from __future__ import annotations

import multiprocessing
import uuid
from collections import defaultdict

import django_rq_poll as poll
from tests import tasks
from tests.faults.racers import race

PROCESSES = 8
FRESH_ROUNDS = 40
REPLACING_ROUNDS = 20  # the URL's previous job failed: all racers try to replace it


def test_processes_start_exactly_one_job(redis_db, run_jobs, tally):
    run = uuid.uuid4().hex
    fresh = [f"/race/{run}/fresh/{i}" for i in range(FRESH_ROUNDS)]
    replacing = [f"/race/{run}/replace/{i}" for i in range(REPLACING_ROUNDS)]
    failed = {url: poll.begin_process(tasks.fail, polling_url=url) for url in replacing}
    run_jobs()
    assert all(poll.process_has_failed(url) for url in replacing)
    rounds = fresh[: len(fresh) - len(replacing)] + [
        u for p in zip(fresh[-len(replacing) :], replacing, strict=True) for u in p
    ]

    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    procs = [ctx.Process(target=race, args=(rounds, barrier, results)) for _ in range(PROCESSES)]
    for proc in procs:
        proc.start()
    seen: dict[str, list[tuple[str | None, bool, str | None]]] = defaultdict(list)
    for _ in range(PROCESSES * len(rounds)):
        url, task_id, started, error = results.get(timeout=120)
        seen[url].append((task_id, started, error))
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0

    queued = [m.decode() for m in redis_db.lrange("rq:queue:default", 0, -1)]
    for url in rounds:
        tally.fault("race of 8 processes")
        answers = seen[url]
        ids = {task_id for task_id, _, _ in answers}
        starts = sum(started for _, started, _ in answers)
        errors = [error for _, _, error in answers if error]
        (task_id,) = ids if len(ids) == 1 else (None,)
        ok = (
            len(answers) == PROCESSES
            and not errors
            and starts == 1
            and task_id is not None
            and task_id != failed.get(url)
            and queued.count(task_id) == 1
            and poll.get_taskid_from_url(url) == task_id
        )
        tally.answer("race of 8 processes", ok, f"{url}: ids={ids} starts={starts} {errors}")
    tally.answer("race of 8 processes", len(queued) == len(rounds), f"{len(queued)} jobs queued")
    tally.assert_clean("race of 8 processes")
