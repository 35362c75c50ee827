"""The process's pub/sub hub (``push/listen.py``) in parts, on the real Redis: what a
topic looks up, unsubscribing on a lost connection, and the hub let go on a settings
change. The streams through it are tested in ``test_stream.py``."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio
from asgiref.sync import async_to_sync
from django.core.signals import setting_changed
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from django_rq_poll import api
from django_rq_poll.drivers import backends
from django_rq_poll.push import listen
from tests import tasks
from tests.demo_process import free_port


def looked_up(task_id: str) -> tuple[object, object]:
    async def main() -> tuple[object, object]:
        hub = listen.Hub(backends.backend())
        try:
            return await hub.run(listen._looking(hub.backend, task_id))
        finally:
            await hub.aclose()

    return async_to_sync(main)()


def test_a_topic_looks_up_a_queued_job_with_its_place_in_its_own_queue(redis_db):
    api.begin_process(tasks.add, (1, 1), queue="other")
    task_id = api.begin_process(tasks.add, (2, 2), queue="other")
    snap, wait = looked_up(task_id)
    assert snap is not None and snap.task_id == task_id and snap.origin == "other"
    assert wait is not None and (wait.queue, wait.position, wait.workers) == ("other", 2, 0)


def test_a_topic_looks_up_a_job_not_queued_or_gone_without_a_place(redis_db, run_jobs):
    task_id = api.begin_process(tasks.add, (2, 2))
    run_jobs()
    snap, wait = looked_up(task_id)
    assert snap is not None and snap.rq_status == "finished" and wait is None
    assert looked_up("no-such-job") == (None, None)


def test_unsubscribing_on_a_lost_connection_raises_nothing(redis_db):
    """The listener notices the loss and subscribes afresh; the stream that ended must
    not fail on its way out."""

    async def main() -> None:
        hub = listen.Hub(backends.backend())
        nowhere = redis.asyncio.Redis(port=free_port(), retry=Retry(NoBackoff(), 0))
        hub.pubsub = nowhere.pubsub()  # no server there, and no retries to wait out
        try:
            await hub._unsubscribe(b"rq_poll:events:gone")
        finally:
            await hub.pubsub.aclose()
            await hub.aclose()

    async_to_sync(main)()


@pytest.mark.parametrize("setting", ["RQ_QUEUES", "RQ", "RQ_POLL", None])
def test_the_hubs_are_let_go_when_the_redis_settings_change(setting):
    async def main() -> tuple[bool, bool]:
        first = listen.hub()
        setting_changed.send(sender=None, setting="TIME_ZONE", value="UTC", enter=True)
        kept = listen.hub() is first
        if setting is None:
            listen._forget()  # called without a setting: everything is let go
        else:
            setting_changed.send(sender=None, setting=setting, value={}, enter=True)
        replaced = asyncio.get_running_loop() not in listen._hubs  # let go at once
        second = listen.hub()
        replaced = replaced and second is not first
        await first.aclose()
        await second.aclose()
        return kept, replaced

    assert async_to_sync(main)() == (True, True)
