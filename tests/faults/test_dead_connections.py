"""A connection that died while Redis restarted is an outage for no one: the next command
on it is sent again on a fresh one, sync and async (issue 18: async pages answered 503
long after Redis was back, until each pooled connection had failed once)."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync

import django_rq_poll as poll
from tests import tasks


@pytest.mark.parametrize("side", ["sync", "async"])
def test_pooled_connections_that_died_in_a_restart_are_replaced(private_redis, use_redis, side):
    server = private_redis()
    use_redis(server.url)
    url = "/restart/"
    poll.begin_process(tasks.add, (1, 2), polling_url=url)

    async def ask_async(restart: bool) -> list[object]:
        # several at once first, so the pool holds several connections when Redis restarts
        await asyncio.gather(*(poll.aget_process_status(url) for _ in range(4)))
        if restart:
            await asyncio.to_thread(restart_server)
        answers: list[object] = []
        for _ in range(8):
            try:
                answers.append(await poll.aget_process_status(url))
            except poll.RedisUnavailable as exc:
                answers.append(exc)
        return answers

    def restart_server() -> None:
        server.stop()
        server.start()

    if side == "async":
        answers = async_to_sync(ask_async)(True)
    else:
        for _ in range(4):
            poll.get_process_status(url)
        restart_server()
        answers = []
        for _ in range(8):
            try:
                answers.append(poll.get_process_status(url))
            except poll.RedisUnavailable as exc:
                answers.append(exc)
    # the restarted server is empty (no persistence): the job is unknown, never a 503
    assert answers == [None] * 8
