"""Push under a Redis restart: open streams keep their heartbeats while Redis is down and
end with the job's real outcome once it is back (none hangs), over the same hub."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import pytest
from asgiref.sync import async_to_sync

from django_rq_poll import api
from django_rq_poll.push import listen, stream
from tests import tasks
from tests.faults.helpers import durable_server
from tests.push.test_stream import close_hub, last_event, next_event, reconnected


def test_streams_outlive_a_redis_restart(
    private_redis, use_redis, rqworker, settings, monkeypatch
) -> None:
    settings.RQ_POLL = {"QUEUE": "default", "PUSH_RECHECK": 0.5, "PUSH_HEARTBEAT": 0.2}
    server = durable_server(private_redis)
    use_redis(server.url)
    ids = [api.begin_process(tasks.add, (i, i)) for i in range(5)]

    async def main() -> tuple[list[str], list[dict], int]:
        streams = [stream.stream(task_id, None) for task_id in ids]
        await asyncio.gather(*(next_event(s) for s in streams))  # pending
        hub = listen.hub()
        await asyncio.to_thread(server.stop)
        # Down: each stream keeps the browser's connection alive, nothing raises.
        while_down = [await asyncio.wait_for(s.__anext__(), 10) for s in streams]
        await asyncio.to_thread(server.start)
        monkeypatch.setenv("REDIS_URL", server.url)
        rqworker()  # runs the jobs on the restarted server
        ends = await asyncio.gather(*(last_event(s) for s in streams))
        reconnects = hub.reconnects
        await close_hub()
        return while_down, ends, reconnects

    while_down, ends, reconnects = async_to_sync(main)()
    assert set(while_down) == {stream.HEARTBEAT}
    assert [(e["event"], e["data"]["state"]) for e in ends] == [("done", "complete")] * 5
    assert reconnects >= 1


def quiet_server(private_redis, use_redis, settings, *, heartbeat: float, options: str = "") -> Any:
    """A private Redis for the default queue (``options``: the URL's query), push's
    heartbeat every ``heartbeat`` s."""
    settings.RQ_POLL = {"QUEUE": "default", "PUSH_HEARTBEAT": heartbeat}
    server = private_redis()
    use_redis(server.url + options)
    return server


async def listening_hub() -> listen.Hub:
    """This loop's hub, connected (a stream of a job that does not exist starts it)."""
    hub = listen.hub()
    hub.watch("no-such-job")
    await asyncio.wait_for(hub.connected.wait(), 30)
    return hub


@pytest.mark.parametrize("options", ["", "?socket_timeout=0.1"])
def test_a_quiet_pubsub_connection_is_kept_open_by_pings(
    private_redis, use_redis, settings, options
) -> None:
    """No message for a heartbeat: the hub pings, the pong is the answer, and the
    connection stays (a healthy quiet connection is never taken for a dead one), also
    where the site's connections time out sooner than the heartbeat."""
    server = quiet_server(private_redis, use_redis, settings, heartbeat=0.3, options=options)

    async def main() -> int:
        hub = await listening_hub()
        await asyncio.sleep(2.5)
        reconnects = hub.reconnects
        await close_hub()
        return reconnects

    assert async_to_sync(main)() == 0
    # The connecting ping, then one for each quiet heartbeat of the 2.5 s.
    assert server.client().info("commandstats")["cmdstat_ping"]["calls"] >= 5


def test_a_pubsub_connection_that_stops_answering_is_replaced(
    private_redis, use_redis, settings, caplog
) -> None:
    """A ping unanswered for a heartbeat (Redis frozen, a half-open TCP connection) ends
    the connection: the hub says so and connects again, each time."""
    server = quiet_server(private_redis, use_redis, settings, heartbeat=0.2)

    async def main() -> int:
        hub = await listening_hub()
        for times in (1, 2):  # twice: each loss counted, each said
            server.client().client_pause(1000)  # every other client's commands wait 1 s
            await reconnected(hub, times)
        reconnects = hub.reconnects
        await close_hub()
        return reconnects

    with caplog.at_level(logging.WARNING, logger="django_rq_poll"):
        assert async_to_sync(main)() == 2
    assert [r.getMessage() for r in caplog.records if r.name == "django_rq_poll"] == [
        "Push lost its pub/sub connection (no answer to a ping on the pub/sub connection); "
        "reconnecting."
    ] * 2


def test_a_stream_opened_while_redis_is_down_ends_once_it_is_back(
    private_redis, use_redis, rqworker, settings, monkeypatch
) -> None:
    """The hub's first connection fails: it keeps trying, the stream keeps the browser's
    connection alive meanwhile, and ends with the job's outcome."""
    settings.RQ_POLL = {"QUEUE": "default", "PUSH_RECHECK": 0.5, "PUSH_HEARTBEAT": 0.2}
    server = durable_server(private_redis)
    use_redis(server.url)
    task_id = api.begin_process(tasks.add, (2, 3))
    server.stop()

    async def main() -> tuple[list[str], dict, tuple[bool, bool]]:
        opened = stream.stream(task_id, None)
        retry = await asyncio.wait_for(opened.__anext__(), 10)
        beat = await asyncio.wait_for(opened.__anext__(), 10)  # within SUBSCRIBE_WAIT and more
        hub = listen.hub()
        await asyncio.to_thread(server.start)
        monkeypatch.setenv("REDIS_URL", server.url)
        rqworker()
        end = await last_event(opened)
        listening = False
        with contextlib.suppress(TimeoutError):  # its pub/sub connection made at last
            listening = await asyncio.wait_for(hub.connected.wait(), 30)
        reconnects = hub.reconnects
        await close_hub()
        return [retry.split(":")[0], beat], end, (listening, reconnects >= 1)

    chunks, end, reconnected = async_to_sync(main)()
    assert chunks == ["retry", stream.HEARTBEAT]
    assert (end["event"], end["data"]["state"]) == ("done", "complete")
    assert reconnected == (True, True)
