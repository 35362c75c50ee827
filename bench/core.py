"""The core figures: lookups, begin, memory, and the peers' baselines, all in one run."""

from __future__ import annotations

import itertools
import time
import uuid
from typing import Any

import redis
from rq import Worker
from rq.job import Job
from rq.results import Result

import django_rq_poll as poll
from django_rq_poll.core import keys, meta
from django_rq_poll.drivers import backends

from . import tasks
from .timing import Figure, interleaved, ratio_figure

SIZES = (10, 1_000, 100_000)
SAMPLE = 100  # URLs cycled through by the lookups at each size
LIVE_SECONDS = 3600  # TTL of the synthetic entries: they outlive the run, then vanish
BATCH = 2_000


def _finish_one(backend: backends.Backend, url: str, task: Any = tasks.summary) -> str:
    task_id = poll.begin_process(task, (1,), polling_url=url)
    Worker([backend.queue], connection=backend.connection, serializer=backend.serializer).work(
        burst=True, logging_level="WARNING", with_scheduler=False
    )
    if not poll.process_is_complete(polling_url=url):
        raise RuntimeError(f"the benchmark job {task_id} did not finish")
    return task_id


class Population:
    """Live URL mappings, each with a finished job hash and a result entry.

    Copies of one job that a real worker ran, with fresh ids and their own URL in
    meta, written with pipelines: 100,000 of them take seconds, not minutes.
    """

    def __init__(self, backend: backends.Backend, template_id: str) -> None:
        self.backend = backend
        conn = backend.connection
        self.job_fields = conn.hgetall(Job.key_for(template_id))
        entries = conn.xrange(Result.get_key(template_id))  # type: ignore[no-untyped-call]
        self.result_fields = entries[-1][1]
        self.meta = backend.serializer.loads(self.job_fields[b"meta"])
        self.urls: list[str] = []

    def grow_to(self, size: int) -> None:
        conn, serializer = self.backend.connection, self.backend.serializer
        while len(self.urls) < size:
            with conn.pipeline(transaction=False) as pipe:
                for _ in range(min(BATCH, size - len(self.urls))):
                    task_id = uuid.uuid4().hex
                    url = f"/reports/{task_id[:12]}/?page=1"
                    fields = dict(self.job_fields)
                    fields[b"meta"] = serializer.dumps({**self.meta, meta.META_URL: url})
                    pipe.hset(Job.key_for(task_id), mapping=fields)
                    pipe.expire(Job.key_for(task_id), LIVE_SECONDS)
                    results_key = Result.get_key(task_id)  # type: ignore[no-untyped-call]
                    pipe.xadd(results_key, self.result_fields, maxlen=10)
                    pipe.expire(results_key, LIVE_SECONDS)
                    pipe.set(keys.url_key(url), task_id, ex=LIVE_SECONDS)
                    self.urls.append(url)
                pipe.execute()

    def sample(self) -> list[str]:
        step = max(1, len(self.urls) // SAMPLE)
        return self.urls[::step][:SAMPLE]


def _thin_rq_wrapper(conn: redis.Redis, serializer: Any, key: str) -> Any:
    """What a site without this app writes: GET the id, fetch the job, ask rq."""
    task_id = conn.get(key)
    assert task_id is not None
    job = Job.fetch(task_id.decode(), connection=conn, serializer=serializer)
    if job.get_status() == "finished":
        return job.return_value()
    return None


def _celery_op(redis_url: str) -> tuple[Any, Any]:
    from celery import Celery
    from celery.result import AsyncResult

    app = Celery("bench", broker=redis_url, backend=redis_url)
    app.conf.update(result_serializer="json", accept_content=["json"], result_expires=3600)
    task_id = uuid.uuid4().hex
    app.backend.store_result(task_id, tasks.summary(1), "SUCCESS")

    def op() -> Any:
        found = AsyncResult(task_id, app=app)
        assert found.state == "SUCCESS"
        return found.result

    return op, app


def run(
    redis_url: str, *, rounds: int, iterations: int, sizes: tuple[int, ...] = SIZES
) -> tuple[list[Figure], dict[str, Any]]:
    backend = backends.backend()
    conn = backend.connection
    figures: list[Figure] = []
    data: dict[str, Any] = {"rounds": rounds, "iterations": iterations}

    url = "/reports/1/?page=1"
    template_id = _finish_one(backend, url)
    assert poll.get_process_result(polling_url=url) == tasks.summary(1)
    key = keys.url_key(url)
    big_url = "/reports/big/?page=1"
    _finish_one(backend, big_url, tasks.report)

    # -- peers, in one set of interleaved rounds ------------------------------------------
    celery, app = _celery_op(redis_url)
    ops = {
        "GET": lambda: conn.get(key),
        "rq wrapper": lambda: _thin_rq_wrapper(conn, backend.serializer, key),
        "celery": celery,
        "get_process_result": lambda: poll.get_process_result(polling_url=url),
        "process_is_complete": lambda: poll.process_is_complete(polling_url=url),
        "20 rows": lambda: poll.get_process_result(polling_url=big_url),
    }
    print(f"peers: {rounds} rounds x {iterations} calls ...", flush=True)
    peers = interleaved(ops, rounds=rounds, iterations=iterations)
    app.close()
    data["peers"] = {"median_us": dict(peers), "rounds_us": peers.samples}
    get = peers["GET"]
    figures.append(Figure("one Redis GET (the unit)", get, ratio=1.0, against="GET"))
    figures.append(
        ratio_figure("thin rq wrapper: GET id, Job.fetch, status, value", peers, "rq wrapper")
    )
    figures.append(
        ratio_figure("Celery AsyncResult .state + .result (Redis backend)", peers, "celery")
    )
    figures.append(
        ratio_figure("get_process_result(polling_url=)", peers, "get_process_result", at_most=1.5)
    )
    figures.append(
        ratio_figure("process_is_complete(polling_url=)", peers, "process_is_complete", at_most=1.3)
    )
    figures.append(
        ratio_figure("get_process_result(polling_url=)", peers, "20 rows", note="a 20-row result")
    )

    # -- flat from 10 to 100,000 live URLs ------------------------------------------------
    population = Population(backend, template_id)
    data["sizes"] = {}
    for size in sizes:
        started = time.monotonic()
        population.grow_to(size)
        built = time.monotonic() - started
        sample = population.sample()
        expected = tasks.summary(1)
        assert all(poll.get_process_result(polling_url=u) == expected for u in sample)
        urls = itertools.cycle(sample)
        url_keys = itertools.cycle([keys.url_key(u) for u in sample])
        print(f"{size:,} live URLs (written in {built:.1f} s): {rounds} rounds ...", flush=True)
        at = interleaved(
            {
                "GET": lambda k=url_keys: conn.get(next(k)),
                "get_process_result": lambda u=urls: poll.get_process_result(polling_url=next(u)),
                "process_is_complete": lambda u=urls: poll.process_is_complete(polling_url=next(u)),
            },
            rounds=rounds,
            iterations=iterations,
        )
        mappings = sum(1 for _ in conn.scan_iter(match=keys.url_key_pattern(), count=5000))
        data["sizes"][size] = {
            "median_us": dict(at),
            "rounds_us": at.samples,
            "live_mappings": mappings,
            "dbsize": conn.dbsize(),
        }
        note = f"{mappings:,} live URLs"
        figures.append(
            ratio_figure("get_process_result", at, "get_process_result", at_most=1.5, note=note)
        )
        figures.append(
            ratio_figure("process_is_complete", at, "process_is_complete", at_most=1.3, note=note)
        )

    # -- memory per mapping ----------------------------------------------------------------
    sample = population.sample()
    per_mapping = [conn.memory_usage(keys.url_key(u), samples=0) or 0 for u in sample]
    per_job = [
        conn.memory_usage(Job.key_for(keys_id(conn, u)), samples=0) or 0 for u in sample[:20]
    ]
    mapping_bytes = sum(per_mapping) / len(per_mapping)
    job_bytes = sum(per_job) / len(per_job)
    data["memory"] = {"mapping_bytes": mapping_bytes, "rq_job_hash_bytes": job_bytes}
    figures.append(
        Figure(
            "Redis MEMORY USAGE per URL mapping",
            mapping_bytes,
            "bytes",
            note=f"rq's own job hash: {job_bytes:,.0f} bytes",
        )
    )

    # -- begin_process vs a plain enqueue ---------------------------------------------------
    counter = itertools.count()
    queue = backend.queue
    begin_iterations = max(20, iterations // 5)
    print(f"begin_process vs queue.enqueue: {rounds} rounds x {begin_iterations} ...", flush=True)
    begin = interleaved(
        {
            "enqueue": lambda: queue.enqueue(tasks.add, 1, 2),
            "begin_process": lambda: poll.begin_process(
                tasks.add, (1, 2), polling_url=f"/sums/{next(counter)}/"
            ),
        },
        rounds=rounds,
        iterations=begin_iterations,
    )
    data["begin"] = {"median_us": dict(begin), "rounds_us": begin.samples}
    figures.append(
        Figure("queue.enqueue (rq, plain)", begin["enqueue"], ratio=1.0, against="enqueue")
    )
    figures.append(
        ratio_figure(
            "begin_process(polling_url=)",
            begin,
            "begin_process",
            "enqueue",
            against="enqueue",
            at_most=1.3,
        )
    )
    return figures, data


def keys_id(conn: redis.Redis, url: str) -> str:
    value = conn.get(keys.url_key(url))
    assert value is not None
    return value.decode()
