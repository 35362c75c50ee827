"""The process's pub/sub hub (``push/listen.py``) in parts, on the real Redis: what a
topic looks up, unsubscribing on a lost connection, and the hub let go on a settings
change. The streams through it are tested in ``test_stream.py``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import pytest
import redis.asyncio
from asgiref.sync import async_to_sync
from django.core.signals import setting_changed
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

import django_rq_poll as poll
from django_rq_poll import api
from django_rq_poll.drivers import backends
from django_rq_poll.push import listen
from tests import tasks
from tests.demo_process import free_port


@contextlib.asynccontextmanager
async def own_hub() -> AsyncIterator[listen.Hub]:
    """A hub of the test's own (not this loop's shared one), closed on the way out."""
    hub = listen.Hub(backends.backend())
    try:
        yield hub
    finally:
        await hub.aclose()


def looked_up(task_id: str) -> tuple[object, object]:
    async def main() -> tuple[object, object]:
        async with own_hub() as hub:
            return await hub.run(listen._looking(hub.backend, task_id))

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
        async with own_hub() as hub:
            nowhere = redis.asyncio.Redis(port=free_port(), retry=Retry(NoBackoff(), 0))
            hub.pubsub = nowhere.pubsub()  # no server there, and no retries to wait out
            try:
                await hub._unsubscribe(b"rq_poll:events:gone")
            finally:
                await hub.pubsub.aclose()

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


def test_reconnect_pauses_double_from_a_tenth_of_a_second_up_to_five() -> None:
    pauses = listen.backoffs()
    assert [next(pauses) for _ in range(8)] == [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0]


def test_streams_of_one_job_share_its_topic_until_the_last_one_leaves(redis_db):
    async def main() -> tuple[bool, bool, bool, bool]:
        async with own_hub() as hub:
            first, second, other = hub.watch("job-a"), hub.watch("job-a"), hub.watch("job-b")
            shared = first is second and first is not other and first.refs == 2
            hub.unwatch(first)
            kept = hub.topics.get("job-a") is first and not first._task.cancelled()
            hub.unwatch(second)
            await asyncio.sleep(0)  # the cancel lands
            dropped = "job-a" not in hub.topics and first._task.cancelled()
            return shared, kept, dropped, hub.topics.get("job-b") is other

    assert async_to_sync(main)() == (True, True, True, True)


def test_a_new_stream_never_inherits_a_topic_that_stopped_looking(redis_db):
    """A queued job's topic never settles: one whose task died is replaced, not reused."""
    task_id = api.begin_process(tasks.add, (1, 1))

    async def main() -> tuple[bool, bool, bool]:
        async with own_hub() as hub:
            first = hub.watch(task_id)
            await asyncio.wait_for(first.ready.wait(), 30)
            first.close()
            with contextlib.suppress(asyncio.CancelledError):
                await first._task
            second = hub.watch(task_id)
            await asyncio.wait_for(second.ready.wait(), 30)
            replaced = second is not first and hub.topics[task_id] is second
            looked = second.snapshot is not None and second.snapshot.task_id == task_id
            return replaced, looked, second.alive and second.refs == 1

    assert async_to_sync(main)() == (True, True, True)


def test_a_listener_that_stopped_is_started_again_by_the_next_new_topic(redis_db):
    async def main() -> bool:
        async with own_hub() as hub:
            hub.watch("job-a")
            await asyncio.wait_for(hub.connected.wait(), 30)
            stopped = hub._task
            assert stopped is not None
            stopped.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stopped
            hub.watch("job-b")
            await asyncio.wait_for(hub.connected.wait(), 30)
            return hub._task is not stopped and hub._task is not None and not hub._task.done()

    assert async_to_sync(main)() is True


def test_each_outage_of_a_topics_lookups_is_logged_once(redis_db, settings, monkeypatch, caplog):
    """Failing lookups warn when they start failing, not at every look; a later outage,
    after a lookup that worked, warns again."""
    settings.RQ_POLL = {"QUEUE": "default", "PUSH_RECHECK": 0.02}
    task_id = api.begin_process(tasks.add, (1, 1))  # queued, no worker: never settles
    real, plan = listen._looking, ["ok", "fail", "fail", "ok", "fail", "fail", "fail", "ok"]

    def flaky(home, job_id):
        if plan and plan.pop(0) == "fail":
            raise poll.RedisUnavailable("down") from ConnectionResetError("reset")
        return real(home, job_id)

    monkeypatch.setattr(listen, "_looking", flaky)

    async def main() -> bool:
        async with own_hub() as hub:
            topic = hub.watch(task_id)

            async def recovered() -> None:
                while plan or topic.unavailable:
                    await asyncio.sleep(0.02)

            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(recovered(), 10)
            return not topic.unavailable and topic.snapshot is not None

    with caplog.at_level(logging.WARNING, logger="django_rq_poll"):
        assert async_to_sync(main)() is True
    down = poll.RedisUnavailable("down")
    warning = f"Stream of job {task_id} cannot look it up: {down} (ConnectionResetError('reset'))"
    assert [r.getMessage() for r in caplog.records if r.name == "django_rq_poll"] == [warning] * 2


def test_a_hub_whose_listener_failed_still_closes(redis_db, monkeypatch) -> None:
    """A bug in the listener (here: its client cannot be built) ends its task with the
    error; closing the hub, as a server shutting down does, must not raise it."""

    def broken(*args, **kwargs):
        raise RuntimeError("no client")

    async def main() -> bool:
        async with own_hub() as hub:  # its closing is the point
            monkeypatch.setattr(listen.aio, "async_client", broken)
            hub.watch("job-a")
            task = hub._task
            assert task is not None
            await asyncio.wait([task], timeout=30)
            return isinstance(task.exception(), RuntimeError)

    assert async_to_sync(main)() is True
