"""Sentinel: a master, a replica and a sentinel, all real; the flow before and after a
failover (``SENTINEL FAILOVER``), with django-rq's ``SENTINELS`` queue settings.

The web side keeps its one cached client across the failover: redis-py's
sentinel-managed connections find the new master themselves. Workers connect the same
way (``tests/deploy/sentinel_settings.py``).
"""

from __future__ import annotations

import uuid

import pytest
import redis
from asgiref.sync import async_to_sync
from django_rq.connection_utils import get_redis_connection
from rq import Queue

import django_rq_poll as poll
from django_rq_poll import State
from django_rq_poll.drivers import backends
from tests import tasks
from tests.deploy.conftest import free_port
from tests.deploy.sentinel_settings import SENTINEL_QUEUE
from tests.faults.helpers import wait_until
from tests.push.test_stream import streamed_end
from tests.redis_server import server_args
from tests.workers import BURST

MASTER_NAME = SENTINEL_QUEUE["MASTER_NAME"]


def _answers(port: int) -> bool:
    return bool(redis.Redis(port=port, socket_timeout=1).ping())


@pytest.fixture
def sentinel_setup(servers, tmp_path):
    master, replica, sentinel = free_port(), free_port(), free_port()
    servers.start(*server_args(tmp_path, master), ready=lambda: _answers(master))
    servers.start(
        *server_args(tmp_path, replica),
        "--replicaof",
        "127.0.0.1",
        str(master),
        ready=lambda: redis.Redis(port=replica).info("replication")["master_link_status"] == "up",
    )
    conf = tmp_path / "sentinel.conf"
    conf.write_text(
        f"port {sentinel}\nbind 127.0.0.1\ndir {tmp_path}\n"
        f"sentinel monitor {MASTER_NAME} 127.0.0.1 {master} 1\n"
        f"sentinel down-after-milliseconds {MASTER_NAME} 1000\n"
        f"sentinel failover-timeout {MASTER_NAME} 5000\n"
    )
    admin = redis.Redis(port=sentinel, decode_responses=True)

    def sees_replica() -> bool:
        return bool(admin.execute_command("SENTINEL", "REPLICAS", MASTER_NAME))

    servers.start(str(conf), "--sentinel", ready=sees_replica)
    return master, replica, sentinel, admin


def _master_port(admin) -> int:
    return int(admin.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)[1])


def test_flow_through_sentinel_and_a_failover(sentinel_setup, monkeypatch, killable_worker):
    master, replica, sentinel, admin = sentinel_setup
    config = {**SENTINEL_QUEUE, "SENTINELS": [("127.0.0.1", sentinel)]}
    conn = get_redis_connection(config)  # django-rq's own builder, as RQ_QUEUES uses it
    backend = backends.Backend(Queue("default", connection=conn))
    monkeypatch.setitem(backends._backends, "default", backend)
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.deploy.sentinel_settings",
        "RQ_POLL_TEST_SENTINEL": f"127.0.0.1:{sentinel}",
    }

    def run_worker() -> None:
        assert killable_worker(*BURST, "default", env=env).wait(timeout=60) == 0

    before, running = f"/sentinel/{uuid.uuid4().hex}", f"/sentinel/{uuid.uuid4().hex}"
    first = poll.check_status_or_begin(tasks.add, (20, 22), polling_url=before)
    run_worker()
    assert poll.get_process_result(before) == 42
    # the async side reaches the same master through the same sentinels (0.2.0's async
    # client lost them and went to localhost:6379), and so does a stream
    assert async_to_sync(poll.aget_process_result)(before) == 42
    assert streamed_end(first.task_id) == "complete"
    assert "via sentinel 127.0.0.1:" in backend.where
    queued = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=running)
    assert _master_port(admin) == master
    # the replica has everything the master acknowledged before the failover
    assert redis.Redis(port=master).wait(1, 5000) == 1

    admin.execute_command("SENTINEL", "FAILOVER", MASTER_NAME)
    wait_until(lambda: _master_port(admin) == replica, timeout=30)
    wait_until(
        lambda: redis.Redis(port=replica).info("replication")["role"] == "master", timeout=30
    )
    # Until the sentinel demotes the old master (seconds later), a client still connected
    # to it could write there, and lose the writes at demotion: Sentinel's split-brain
    # window, which the deployment docs mention. The test waits it out.
    wait_until(lambda: redis.Redis(port=master).info("replication")["role"] == "slave", timeout=60)

    assert backends.backend() is backend  # the same cached client, nothing reconfigured
    outcomes = []

    def answers() -> bool:
        try:
            outcomes.append(poll.get_process_result(before))
        except poll.RedisUnavailable:  # a page shows its 503 and reloads
            outcomes.append("unavailable")
            return False
        return True

    wait_until(answers, timeout=30)
    assert outcomes[-1] == 42 and outcomes.count("unavailable") <= 1
    async_outcomes = []

    def async_answers() -> bool:
        try:
            async_outcomes.append(async_to_sync(poll.aget_process_result)(before))
        except poll.RedisUnavailable:
            async_outcomes.append("unavailable")
            return False
        return True

    wait_until(async_answers, timeout=30)
    assert async_outcomes[-1] == 42 and async_outcomes.count("unavailable") <= 1
    again = poll.check_status_or_begin(tasks.add, (20, 22), polling_url=before)
    assert not again.started and again.task_id == first.task_id
    assert poll.get_process_status(running) is State.PENDING
    after = f"/sentinel/{uuid.uuid4().hex}"
    started = poll.check_status_or_begin(tasks.add, (5, 5), polling_url=after)
    assert started.started
    run_worker()
    assert poll.get_process_result(running) == 3
    assert poll.get_process_result(after) == 10
    assert async_to_sync(poll.aget_process_result)(after) == 10
    assert streamed_end(started.task_id) == "complete"
    assert redis.Redis(port=replica).get(f"rq_poll:url:{_digest(after)}") is not None
    assert queued.task_id == poll.get_taskid_from_url(running)
    backends.clear_cache()


def _digest(url: str) -> str:
    from django_rq_poll.core import keys

    return keys.url_digest(url)
