"""The drivers run the core's programs alike: the drifts of 0.2.0, held by tests that run
both sides (issue 17)."""

from __future__ import annotations

import asyncio
import logging

import pytest
import redis
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client
from redis.exceptions import WatchError

import django_rq_poll as poll
from django_rq_poll.core import meta, reads
from django_rq_poll.core.ops import Conflict, Exec, Runner, Watch
from django_rq_poll.drivers import aio, backends, sync
from django_rq_poll.exceptions import RedisPermissionDenied, RedisUnavailable
from django_rq_poll.push import listen
from tests import tasks


def _transaction():
    """A program that retries on a lost race, as the start does; counts its attempts."""
    attempts = 0
    while True:
        attempts += 1
        yield Watch(("k",))
        try:
            yield Exec([])
            return attempts
        except Conflict:
            if attempts > 3:
                return attempts


def test_a_lost_race_is_retried_and_a_dropped_connection_is_an_outage() -> None:
    race = Runner(_transaction(), "here")
    race.first()
    race.reply(True)  # WATCH
    assert isinstance(race.error(WatchError("Watched variable changed.")), Watch)
    dropped = Runner(_transaction(), "here")
    dropped.first()
    dropped.reply(True)
    lost = WatchError("A ConnectionError occurred on while watching one or more keys")
    with pytest.raises(RedisUnavailable, match="here"):
        dropped.error(lost)


@pytest.mark.parametrize("side", ["sync", "async"])
def test_both_drivers_turn_a_dropped_watch_into_an_outage(side, monkeypatch) -> None:
    def dropped(*args, **kwargs):
        raise WatchError("A ConnectionError occurred on while watching one or more keys")

    target = redis.client.Pipeline if side == "sync" else redis.asyncio.client.Pipeline
    monkeypatch.setattr(target, "execute", dropped)
    start = (
        poll.check_status_or_begin if side == "sync" else async_to_sync(poll.acheck_status_or_begin)
    )
    with pytest.raises(RedisUnavailable):
        start(tasks.add, (1, 2), polling_url="/dropped/", visitor="v")


def test_both_drivers_answer_one_program_alike(run_jobs) -> None:
    task_id = poll.begin_process(tasks.add, (2, 3), polling_url="/alike/")
    run_jobs()
    home = backends.backend()
    by_sync = sync.run_on(reads.lookup(home, "/alike/", None, result=True, meta=True), home)

    async def native():
        return await aio.run_on(reads.lookup(home, "/alike/", None, result=True, meta=True), home)

    assert asyncio.run(native()) == by_sync
    assert by_sync.task_id == task_id and by_sync.return_value == 5


def _owned_by(owner: object) -> str:
    return poll.begin_process(tasks.add, (1, 1), meta={meta.META_OWNER: owner})


@pytest.mark.parametrize("owner", ["huge", ["not", "an", "owner"], 3.5])
def test_status_and_stream_refuse_an_unreadable_owner_alike(owner) -> None:
    task_id = _owned_by(10**5000 if owner == "huge" else owner)
    assert Client().get(f"/rq-poll/status/{task_id}/").status_code == 404
    response = async_to_sync(AsyncClient().get)(f"/rq-poll/events/{task_id}/")
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["status", "events"])
def test_a_refused_command_is_logged_at_error_on_both_endpoints(path, monkeypatch, caplog):
    task_id = poll.begin_process(tasks.add, (1, 1))

    def refused(*args, **kwargs):
        raise RedisPermissionDenied("here", "the command EVALSHA", "NOPERM")
        yield  # a program

    monkeypatch.setattr(reads, "lookup", refused)
    caplog.set_level(logging.INFO, logger="django_rq_poll")
    url = f"/rq-poll/{path}/{task_id}/"
    get = Client().get if path == "status" else async_to_sync(AsyncClient().get)
    response = get(url)
    assert response.status_code == 503
    assert [r.levelname for r in caplog.records if r.name == "django_rq_poll"] == ["ERROR"]


@pytest.mark.parametrize("value", ["\xb2", "1\xb2", "\xb9\xb2"])
def test_a_non_ascii_last_event_id_is_ignored_through_http(value) -> None:
    task_id = poll.begin_process(tasks.add, (1, 1))

    async def first_bytes() -> tuple[int, bytes]:
        headers = {"Last-Event-ID": value}  # per request: AsyncClient(headers=) doubles HTTP_
        response = await AsyncClient().get(f"/rq-poll/events/{task_id}/", headers=headers)
        chunks = response.streaming_content
        first = await anext(chunks)
        await chunks.aclose()
        await listen.hub().aclose()  # this loop's: no connection left behind
        return response.status_code, first

    status, first = async_to_sync(first_bytes)()
    assert status == 200 and first.startswith(b"retry:")
