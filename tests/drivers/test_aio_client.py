"""The async driver's client and its thread for rq's blocking calls: the server it
reaches, how many connections it may open, and blocking calls that never queue behind
each other. (tests/drivers/test_aio.py: the programs it runs.)"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import threading
import warnings
from collections.abc import Iterator

import pytest
import redis
import redis.asyncio.retry
from asgiref.sync import async_to_sync

from django_rq_poll.core.ops import Blocking, Program
from django_rq_poll.drivers import aio, backends, sync
from tests import needs
from tests.redis_server import start_redis_server


@pytest.fixture
def socket_server() -> Iterator[redis.Redis]:
    """A private redis-server listening on a Unix socket only (no TCP port of its own
    is used by the test): a site whose queues connect through ``unix://``."""
    folder = tempfile.mkdtemp(prefix="rq-poll-sock-")
    path = os.path.join(folder, "redis.sock")
    server = start_redis_server(
        needs.redis_server_binary(), None, "--unixsocket", path, "--unixsocketperm", "700"
    )
    client = redis.Redis(unix_socket_path=path)
    try:
        yield client
    finally:
        client.close()
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def test_the_async_client_of_a_socket_queue_talks_over_the_socket(socket_server):
    expected = socket_server.info("server")["run_id"]

    async def main() -> str:
        client = aio.async_client(socket_server, max_connections=2)
        try:
            info = await client.info("server")
            return str(info["run_id"])
        finally:
            await client.aclose()

    assert asyncio.run(main()) == expected


def test_each_event_loop_opens_at_most_four_connections_per_redis():
    """client_for's bound: one client per event loop and Redis, at most 4 connections; a
    fifth concurrent call waits for a free one instead of opening it."""

    async def main() -> tuple[int | None, int | None]:
        client = aio.client_for(backends.backend())
        try:
            pool = client.connection_pool
            return getattr(pool, "max_connections", None), getattr(pool, "timeout", 0)
        finally:
            await client.aclose()
            aio._forget()

    assert async_to_sync(main)() == (4, None)  # and waits without a time limit


def _blocking(barrier: threading.Barrier) -> Program[str]:
    name: str = yield Blocking(lambda: (barrier.wait(), threading.current_thread().name)[1])
    return name


def test_blocking_calls_of_concurrent_callers_run_side_by_side(redis_db):
    """rq's synchronous calls (fetch, cancel, delete a job) run in a thread of their own
    for each caller: two at once both proceed (on one shared thread, the first would
    wait for the second for ever; here the barrier gives up after 10 s)."""
    barrier = threading.Barrier(2, timeout=10)

    async def main() -> list[str]:
        client = aio.async_client(redis_db, max_connections=2)
        try:
            return list(
                await asyncio.gather(
                    aio.run(_blocking(barrier), client, "test"),
                    aio.run(_blocking(barrier), client, "test"),
                )
            )
        finally:
            await client.aclose()

    names = asyncio.run(main())
    assert len(set(names)) == 2
    assert threading.current_thread().name not in names


def _junk() -> Program[None]:
    yield "junk"  # type: ignore[misc]  # what no program of the core yields


def test_both_drivers_refuse_what_is_not_an_operation(redis_db):
    with pytest.raises(TypeError) as sync_error:
        sync.run(_junk(), redis_db, "test")

    async def main() -> None:
        client = aio.async_client(redis_db, max_connections=1)
        try:
            await aio.run(_junk(), client, "test")
        finally:
            await client.aclose()

    with pytest.raises(TypeError) as async_error:
        asyncio.run(main())
    assert str(sync_error.value) == str(async_error.value) == "not an operation: 'junk'"


def test_behind_sentinel_the_async_client_asks_the_same_sentinels_for_the_same_master():
    """Built without connecting (no Sentinel runs here; tests/deploy runs a failover):
    the same sentinels, service and settings, the overrides on top, and the pool's bound
    (redis.asyncio's Sentinel pool refuses a connection beyond it rather than waiting)."""
    import redis.sentinel
    from redis.asyncio import sentinel as asentinel

    sentinels = redis.sentinel.Sentinel(
        [("127.0.0.1", 1), ("localhost", 2)], sentinel_kwargs={"socket_timeout": 0.5}
    )
    # An address given with the master's settings is not where the master is: Sentinel says.
    queue_client = sentinels.master_for(
        "mymaster", db=2, socket_timeout=3, password="pw", host="10.0.0.9", port=1, path="/s"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # redis-py 8 warns on a sync Retry given to asyncio
        client = aio.async_client(queue_client, max_connections=4, client_name="poll")
    pool = client.connection_pool
    assert isinstance(pool, asentinel.SentinelConnectionPool)
    assert pool.service_name == "mymaster"
    assert pool.max_connections == aio.SENTINEL_MAX_CONNECTIONS == 64
    manager = pool.sentinel_manager
    assert [
        (s.connection_pool.connection_kwargs["host"], s.connection_pool.connection_kwargs["port"])
        for s in manager.sentinels
    ] == [("127.0.0.1", 1), ("localhost", 2)]
    given_to_sentinels = dict(manager.sentinel_kwargs)
    retry = given_to_sentinels.pop("retry", None)  # redis-py 8 adds its default policy
    assert given_to_sentinels == {"socket_timeout": 0.5}
    assert retry is None or isinstance(retry, redis.asyncio.retry.Retry)
    given = pool.connection_kwargs
    assert (given["db"], given["socket_timeout"], given["password"]) == (2, 3, "pw")
    assert given["client_name"] == "poll"
    assert not {"host", "port", "path"} & set(given)
