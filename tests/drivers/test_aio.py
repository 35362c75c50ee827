"""The starting async twins await redis.asyncio: the same transaction and commands as the
sync start, one job per URL under any number of concurrent calls, the same limits and
errors, and no thread (the sync start is never called)."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest
import redis

import django_rq_poll as poll
from django_rq_poll import State, api
from django_rq_poll.core import keys, meta
from django_rq_poll.drivers import backends
from tests import tasks

# What a job's hash holds that differs from one start to the next.
VARYING = {b"created_at", b"enqueued_at", b"last_heartbeat", b"data", b"meta"}


@pytest.fixture
def no_sync_start(monkeypatch):
    """Make the sync driver and threads fail: the native twins must need neither (the
    worker's callbacks still settle through the sync driver, as they must)."""
    from django_rq_poll.drivers import aio, sync

    def refuse(*args, **kwargs):
        raise AssertionError("the sync side ran")

    monkeypatch.setattr(sync, "run_on", refuse)
    monkeypatch.setattr(aio, "sync_to_async", refuse)


def _written(redis_db, task_id: str, url: str, visitor: str | None) -> dict[str, object]:
    """Everything one start wrote, with what differs by nature (ids, times) left out."""
    job = redis_db.hgetall(f"rq:job:{task_id}")
    queue = backends.backend().queue
    return {
        "hash": {k: v for k, v in job.items() if k not in VARYING},
        "hash_ttl": redis_db.ttl(f"rq:job:{task_id}"),
        "queued": redis_db.lrange(queue.key, 0, -1).count(task_id.encode()),
        "queues": redis_db.smembers("rq:queues"),
        "mapping": redis_db.get(keys.url_key(url)) == task_id.encode(),
        "mapping_ttl": redis_db.ttl(keys.url_key(url)),
        "counted": (
            redis_db.zscore(keys.visitor_key(visitor), task_id) is not None if visitor else None
        ),
        "url_in_meta": backends.backend().fetch_job(task_id).meta[meta.META_URL] == url,
    }


@pytest.mark.parametrize("visitor", [None, "v"])
def test_the_native_start_writes_what_the_sync_start_writes(redis_db, visitor) -> None:
    url_sync, url_async = f"/s/{uuid.uuid4().hex}", f"/a/{uuid.uuid4().hex}"
    sync = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url_sync, visitor=visitor)
    native = asyncio.run(
        poll.acheck_status_or_begin(tasks.add, (1, 2), polling_url=url_async, visitor=visitor)
    )
    assert (sync.started, sync.state) == (native.started, native.state) == (True, State.PENDING)
    assert str(sync) == str(native)
    assert _written(redis_db, sync.task_id, url_sync, visitor) == _written(
        redis_db, native.task_id, url_async, visitor
    )


def test_the_native_twins_need_no_sync_start(redis_db, no_sync_start, run_jobs) -> None:
    url = f"/n/{uuid.uuid4().hex}"

    async def flow() -> tuple[poll.StatusText, poll.StatusText, str, poll.StatusText]:
        first = await poll.acheck_status_or_begin(tasks.add, (20, 22), polling_url=url)
        again = await poll.acheck_status_or_begin(tasks.add, (20, 22), polling_url=url)
        other = await poll.abegin_process(tasks.add, (1, 1), polling_url=url)
        unless = await api.astart_unless_active(tasks.add, (1, 1), polling_url=url)
        return first, again, other, unless

    first, again, other, unless = asyncio.run(flow())
    assert first.started and not again.started and again.task_id == first.task_id
    assert other != first.task_id  # begin_process always starts, and the URL follows it
    assert not unless.started and unless.task_id == other
    assert asyncio.run(poll.aget_taskid_from_url(url)) == other


def test_a_finished_job_is_answered_and_a_failed_one_replaced(redis_db, run_jobs) -> None:
    done, failed = f"/d/{uuid.uuid4().hex}", f"/f/{uuid.uuid4().hex}"
    first_done = poll.check_status_or_begin(tasks.add, (2, 3), polling_url=done)
    first_failed = poll.check_status_or_begin(tasks.fail, ("boom",), polling_url=failed)
    run_jobs()

    async def again() -> tuple[poll.StatusText, poll.StatusText]:
        return (
            await poll.acheck_status_or_begin(tasks.add, (2, 3), polling_url=done),
            await poll.acheck_status_or_begin(tasks.fail, ("boom",), polling_url=failed),
        )

    kept, replaced = asyncio.run(again())
    assert (kept.started, kept.state, kept.task_id) == (False, State.COMPLETE, first_done.task_id)
    assert replaced.started and replaced.task_id != first_failed.task_id


def test_by_task_id_without_a_url(redis_db) -> None:
    task_id = poll.begin_process(tasks.add, (1, 2))
    found = asyncio.run(poll.acheck_status_or_begin(tasks.add, (1, 2), task_id=task_id))
    assert not found.started and found.task_id == task_id
    started = asyncio.run(poll.acheck_status_or_begin(tasks.add, (1, 2), task_id="f" * 32))
    assert started.started and started.task_id != "f" * 32


@pytest.mark.parametrize("round_", range(5))
def test_concurrent_native_and_sync_calls_start_one_job(redis_db, round_) -> None:
    url = f"/race/{round_}/{uuid.uuid4().hex}"
    barrier = threading.Barrier(4)
    answers: list[poll.StatusText] = []

    def sync_racer() -> None:
        barrier.wait()
        answers.append(poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url))

    def native_racer() -> None:
        async def many() -> list[poll.StatusText]:
            calls = [
                poll.acheck_status_or_begin(tasks.add, (1, 2), polling_url=url) for _ in range(2)
            ]
            return list(await asyncio.gather(*calls))

        barrier.wait()
        answers.extend(asyncio.run(many()))

    threads = [threading.Thread(target=t) for t in (sync_racer, sync_racer)]
    threads += [threading.Thread(target=native_racer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 6
    assert sum(a.started for a in answers) == 1
    assert len({a.task_id for a in answers}) == 1
    assert len(redis_db.keys(b"rq:job:*")) == 1


def test_gathered_native_calls_start_one_job_per_url(redis_db) -> None:
    urls = [f"/g/{uuid.uuid4().hex}" for _ in range(5)]

    async def storm() -> list[poll.StatusText]:
        calls = [
            poll.acheck_status_or_begin(tasks.add, (1, 2), polling_url=url)
            for url in urls
            for _ in range(8)
        ]
        return list(await asyncio.gather(*calls))

    answers = asyncio.run(storm())
    assert sum(a.started for a in answers) == len(urls)
    assert len(redis_db.keys(b"rq:job:*")) == len(urls)


def test_the_limits_hold_on_the_native_start(redis_db, settings) -> None:
    settings.RQ_POLL = {"QUEUE": "default", "MAX_ACTIVE_JOBS": 3}

    async def storm() -> list[object]:
        calls = [
            poll.acheck_status_or_begin(tasks.add, (n, n), polling_url=f"/cap/{n}", visitor="v")
            for n in range(10)
        ]
        return list(await asyncio.gather(*calls, return_exceptions=True))

    answers = asyncio.run(storm())
    assert sum(getattr(a, "started", False) for a in answers) == 3
    assert sum(isinstance(a, poll.TooManyJobs) for a in answers) == 7
    assert len(redis_db.keys(b"rq:job:*")) == 3


def test_a_full_queue_sheds_load_on_the_native_start(redis_db, settings) -> None:
    settings.RQ_POLL = {"QUEUE": "default", "MAX_ACTIVE_JOBS": None, "MAX_QUEUE_LENGTH": 2}
    for n in range(2):
        poll.begin_process(tasks.add, (n, n), polling_url=f"/q/{n}", visitor=f"v{n}")
    with pytest.raises(poll.QueueFull):
        asyncio.run(poll.acheck_status_or_begin(tasks.add, (9, 9), polling_url="/q/9", visitor="w"))
    assert len(redis_db.keys(b"rq:job:*")) == 2


def test_bad_arguments_fail_before_anything_is_written(redis_db) -> None:
    with pytest.raises(TypeError, match="cannot be serialized"):
        asyncio.run(poll.acheck_status_or_begin(tasks.add, (threading.Lock(),), polling_url="/x"))
    with pytest.raises(ValueError, match="polling_url or a task_id"):
        asyncio.run(poll.acheck_status_or_begin(tasks.add, (1, 2)))
    with pytest.raises(ValueError, match="needs a polling_url"):
        asyncio.run(api.astart_unless_active(tasks.add, (1, 2)))
    assert redis_db.keys(b"rq:*") == []


def test_the_native_start_raises_redis_unavailable(settings) -> None:
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0"}}
    with pytest.raises(poll.RedisUnavailable, match=r"127\.0\.0\.1:1"):
        asyncio.run(poll.acheck_status_or_begin(tasks.add, (1, 2), polling_url="/x/"))
    with pytest.raises(poll.RedisUnavailable, match=r"127\.0\.0\.1:1"):
        asyncio.run(poll.abegin_process(tasks.add, (1, 2)))


def test_an_eager_queue_runs_the_job_through_the_sync_side(settings) -> None:
    queues = dict(settings.RQ_QUEUES)
    queues["default"] = {**queues["default"], "ASYNC": False}
    settings.RQ_QUEUES = queues
    url = f"/eager/{uuid.uuid4().hex}"
    text = asyncio.run(poll.acheck_status_or_begin(tasks.add, (20, 22), polling_url=url))
    assert text.started
    assert poll.get_process_result(url) == 42


@pytest.mark.parametrize(
    ("setting", "forgotten"),
    [("RQ_QUEUES", True), ("RQ", True), ("RQ_POLL", True), ("LANGUAGE_CODE", False)],
)
def test_a_changed_queue_setting_lets_go_of_the_async_clients(settings, setting, forgotten):
    """A test or a site changing where the queues are must not keep talking to the old
    Redis: the next async call opens a client for what the settings say now."""
    from asgiref.sync import async_to_sync

    from django_rq_poll.drivers import aio

    async def main() -> bool:
        home = backends.backend()
        client = aio.client_for(home)
        assert aio.client_for(home) is client
        setattr(settings, setting, getattr(settings, setting, None))
        again = aio.client_for(home)
        await client.aclose()
        await again.aclose()
        return again is not client

    assert async_to_sync(main)() is forgotten


def test_any_setting_change_without_a_name_lets_go_of_the_async_clients():
    from asgiref.sync import async_to_sync

    from django_rq_poll.drivers import aio

    async def main() -> bool:
        home = backends.backend()
        client = aio.client_for(home)
        aio._forget()
        again = aio.client_for(home)
        await client.aclose()
        await again.aclose()
        return again is not client

    assert async_to_sync(main)() is True


class _OwnConnection(redis.connection.Connection):
    pass


class _OwnSSLConnection(redis.connection.SSLConnection):
    pass


class _OtherConnection(redis.connection.AbstractConnection):
    def repr_pieces(self):
        return []

    def _connect(self):
        raise NotImplementedError

    def _host_error(self):
        return ""


@pytest.mark.parametrize(
    ("pool", "cls", "has", "lacks"),
    [
        (
            redis.ConnectionPool(host="h", port=7, db=3, path="/not-for-tcp"),
            "Connection",
            {"host": "h", "port": 7, "db": 3},
            ("path",),
        ),
        (
            redis.ConnectionPool(
                connection_class=redis.connection.UnixDomainSocketConnection,
                path="/s",
                db=2,
                host="not-for-a-socket",
                port=1,
            ),
            "UnixDomainSocketConnection",
            {"path": "/s", "db": 2},
            ("host", "port"),
        ),
        (
            redis.ConnectionPool(
                connection_class=redis.connection.SSLConnection, host="h", ssl_cert_reqs="none"
            ),
            "SSLConnection",
            {"host": "h", "ssl_cert_reqs": "none"},
            ("path",),
        ),
        (redis.ConnectionPool(connection_class=_OwnConnection, host="h"), "Connection", {}, ()),
        (
            redis.ConnectionPool(connection_class=_OwnSSLConnection, host="h"),
            "SSLConnection",
            {},
            (),
        ),
        (redis.ConnectionPool(connection_class=_OtherConnection), "Connection", {}, ()),
    ],
)
def test_the_async_client_reaches_the_server_the_queues_client_reaches(pool, cls, has, lacks):
    """A site's own connection class gets the closest async kind, and the arguments
    that reach the same server."""
    from redis.asyncio import connection as aconnection

    from django_rq_poll.drivers import aio

    found, kwargs = aio.connection_settings(redis.Redis(connection_pool=pool))
    assert found is getattr(aconnection, cls)
    assert has.items() <= kwargs.items()
    assert not set(lacks) & set(kwargs)
