"""Push under a Redis restart: open streams keep their heartbeats while Redis is down and
end with the job's real outcome once it is back (none hangs), over the same hub."""

from __future__ import annotations

import asyncio

from asgiref.sync import async_to_sync

from django_rq_poll import api
from django_rq_poll.push import listen, stream
from tests import tasks
from tests.faults.helpers import durable_server
from tests.push.test_stream import close_hub, last_event, next_event


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
