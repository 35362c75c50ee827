"""Push: the event stream's format, ids and resume, the one-connection fan-out, streams
that end on disconnect, and the endpoint's 404s (another user's job, a WSGI server)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client
from rq.job import Job

import django_rq_poll as poll
from django_rq_poll import api
from django_rq_poll.core import meta, snapshot
from django_rq_poll.core.states import State
from django_rq_poll.drivers import backends
from django_rq_poll.push import listen
from django_rq_poll.push import stream as events
from tests import tasks

EVENTS = "/rq-poll/events/{}/"


def parse(chunk: str) -> dict[str, Any]:
    fields = dict(line.split(": ", 1) for line in chunk.strip().splitlines())
    return {"id": int(fields["id"]), "event": fields["event"], "data": json.loads(fields["data"])}


async def next_event(stream: AsyncIterator[str], timeout: float = 30) -> dict[str, Any]:
    """The next event of a stream, skipping the retry hint and keep-alive comments."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        chunk = await asyncio.wait_for(stream.__anext__(), max(left, 0))
        if chunk.startswith("id: "):
            return parse(chunk)


async def last_event(stream: AsyncIterator[str], timeout: float = 30) -> dict[str, Any]:
    """The stream's final event (``done``), after which it must close."""
    while (event := await next_event(stream, timeout))["event"] != "done":
        pass
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()
    return event


def streamed_end(task_id: str) -> str:
    """The state a stream of the job ends with, read on a loop of its own."""

    async def main() -> str:
        end = await last_event(events.stream(task_id, None), timeout=30)
        await close_hub()
        return str(end["data"]["state"])

    return async_to_sync(main)()


def held_job(key: str) -> str:
    return api.begin_process(tasks.report_then_wait, (key,))


def wait_started(conn: redis.Redis, key: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not conn.get(f"{key}:started"):
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.02)


async def release(key: str) -> None:
    await asyncio.to_thread(redis.Redis.from_url(os.environ["REDIS_URL"]).set, key, 1)


async def close_hub() -> None:
    await listen.hub().aclose()


async def reconnected(hub: listen.Hub, times: int = 1, timeout: float = 30) -> None:
    """Wait until the hub has reconnected ``times`` times in all and is connected."""

    async def done() -> None:
        while hub.reconnects < times or not hub.connected.is_set():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(done(), timeout)


def names(conn: redis.Redis) -> list[str]:
    """The push connections on this test's database (another suite may share the server)."""
    return list(push_connections(conn).values())


def push_connections(conn: redis.Redis) -> dict[str, str]:
    """The push connections on this test's database, by client id."""
    db = str(conn.connection_pool.connection_kwargs.get("db", 0))
    return {
        c["id"]: c["name"]
        for c in conn.client_list()
        if c["name"].startswith("rq_poll:push:") and str(c.get("db")) == db
    }


# -- the format --------------------------------------------------------------------------
def test_an_event_is_one_id_one_name_one_data_line() -> None:
    assert events.format_event("done", 7, {"state": "complete", "message": "a\nb"}) == (
        'id: 7\nevent: done\ndata: {"state":"complete","message":"a\\nb"}\n\n'
    )


def test_event_ids_grow_with_the_state_then_the_progress_counter() -> None:
    def snap(state: State, seq: int | None = None) -> snapshot.Snapshot:
        found = {} if seq is None else {meta.META_PROGRESS: {"current": 1, "seq": seq}}
        return snapshot.Snapshot("x", "started", state, False, meta=found)

    ids = [
        events.event_id(snap(State.PENDING)),
        events.event_id(snap(State.RUNNING)),
        events.event_id(snap(State.RUNNING, 1)),
        events.event_id(snap(State.RUNNING, 2)),
        events.event_id(snap(State.COMPLETE, 2)),
        events.event_id(None),
    ]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert events.event_id(snap(State.FAILED, 2)) == events.event_id(snap(State.COMPLETE, 2))


def test_a_queued_jobs_ids_grow_as_it_moves_up_the_queue() -> None:
    from django_rq_poll.core.wait import Wait

    queued = snapshot.Snapshot("x", "queued", State.PENDING, False, meta={})
    running = snapshot.Snapshot("x", "started", State.RUNNING, False, meta={})
    ids = [events.event_id(queued, Wait("default", place, 0)) for place in (3, 2, 1)]
    ids += [events.event_id(queued, None), events.event_id(running)]
    assert ids[:3] == sorted(ids[:3]) and len(set(ids)) == len(ids)
    assert max(ids[:4]) < ids[-1]  # any place in the queue comes before running
    assert events.event_id(queued, Wait("default", 10**12, 0)) > 0  # far back: still valid


@pytest.mark.parametrize("value", [None, "", "-1", "1e3", "abc", "9" * 21, " 12"])
def test_a_hostile_last_event_id_is_ignored(value) -> None:
    assert events.parse_last_event_id(value) is None


def test_set_progress_counts_up(url, run_jobs, redis_db) -> None:
    task_id = api.begin_process(tasks.report, (3,), polling_url=url)
    run_jobs()
    job_meta = backends.backend().fetch_job(task_id).meta
    assert job_meta[meta.META_PROGRESS]["seq"] == 3


# -- streams against a real worker ---------------------------------------------------------
def test_a_stream_sends_the_state_the_changes_and_the_end(redis_db, rqworker) -> None:
    rqworker()
    key = uuid.uuid4().hex
    task_id = held_job(key)

    async def main() -> list[dict[str, Any]]:
        stream = events.stream(task_id, None)
        seen = [await next_event(stream)]
        while not (seen[-1]["data"]["progress"] or {}).get("current"):
            seen.append(await next_event(stream))
        await release(key)
        seen.append(await next_event(stream))
        with pytest.raises(StopAsyncIteration):
            await stream.__anext__()  # closed after the end
        await close_hub()
        return seen

    seen = async_to_sync(main)()
    assert seen[0]["data"]["state"] in ("pending", "running")
    assert seen[-2]["event"] == "state"
    assert seen[-2]["data"]["progress"]["message"] == "step 2 of 4"
    assert seen[-1]["event"] == "done"
    assert seen[-1]["data"]["state"] == "complete"
    assert [e["id"] for e in seen] == sorted({e["id"] for e in seen})


def test_resume_sends_only_what_the_browser_has_not_seen(redis_db, rqworker) -> None:
    rqworker()
    key = uuid.uuid4().hex
    task_id = held_job(key)
    wait_started(redis_db, key)

    async def main() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        first = events.stream(task_id, None)
        current = await next_event(first)
        await first.aclose()
        # Seen already: nothing until the next change.
        resumed = events.stream(task_id, current["id"])
        pending = asyncio.ensure_future(next_event(resumed))
        await asyncio.sleep(0.3)
        assert not pending.done()
        # Seen an older one (the pending state): the current state at once.
        older = events.stream(task_id, 1 << 32)
        again = await next_event(older)
        await older.aclose()
        await release(key)
        end = await pending
        await resumed.aclose()
        await close_hub()
        return current, again, end

    current, again, end = async_to_sync(main)()
    assert current["data"]["state"] == "running"
    assert again == current
    assert (end["event"], end["data"]["state"]) == ("done", "complete")


def test_a_change_the_page_cannot_see_sends_no_event(redis_db, rqworker, settings) -> None:
    """The job's meta changes (a key of the task's own, not its progress): the topic has a
    new snapshot, but its event id is the one sent already, so nothing is sent again."""
    settings.RQ_POLL = {"QUEUE": "default", "PUSH_RECHECK": 0.05}
    rqworker()
    key = uuid.uuid4().hex
    task_id = held_job(key)
    wait_started(redis_db, key)

    async def main() -> tuple[dict[str, Any], bool, dict[str, Any]]:
        stream = events.stream(task_id, None)
        first = await next_event(stream)
        topic = listen.hub().topics[task_id]
        version = topic.version
        job = Job.fetch(task_id, connection=redis_db)
        job.meta["note"] = "the task's own"
        await asyncio.to_thread(job.save_meta)

        async def looked_again() -> None:
            while topic.version == version:
                await asyncio.sleep(0.02)

        await asyncio.wait_for(looked_again(), 30)
        seen = (topic.snapshot.meta or {}).get("note") == "the task's own"
        await release(key)
        end = await next_event(stream)
        await stream.aclose()
        await close_hub()
        return first, seen, end

    first, seen, end = async_to_sync(main)()
    assert first["data"]["progress"]["message"] == "step 2 of 4"
    assert seen is True
    assert (end["event"], end["data"]["state"]) == ("done", "complete")


def test_one_connection_serves_every_stream_of_the_process(redis_db, rqworker) -> None:
    rqworker()
    key = uuid.uuid4().hex
    task_id = held_job(key)
    other_key = uuid.uuid4().hex
    other_id = held_job(other_key)
    before = push_connections(redis_db)

    async def main() -> tuple[list[str], list[dict[str, Any]], int]:
        streams = [events.stream(task_id, None) for _ in range(50)]
        streams += [events.stream(other_id, None) for _ in range(10)]
        await asyncio.gather(*(next_event(s) for s in streams))
        during = [n for i, n in push_connections(redis_db).items() if i not in before]
        await release(key)
        ends = await asyncio.gather(*(last_event(s) for s in streams[:50]))
        await release(other_key)
        rest = await asyncio.gather(*(last_event(s) for s in streams[50:]))
        await close_hub()
        return during, ends + rest, len(listen.hub().topics)

    during, ends, topics_left = async_to_sync(main)()
    assert sorted(during) == ["rq_poll:push:lookups", "rq_poll:push:pubsub"]  # 60 streams
    assert {(e["event"], e["data"]["state"]) for e in ends} == {("done", "complete")}
    assert topics_left == 0


def test_a_stream_that_the_client_leaves_lets_go_of_its_job(redis_db, rqworker) -> None:
    rqworker()
    key = uuid.uuid4().hex
    task_id = held_job(key)
    channel = f"rq_poll:events:{task_id}"

    async def main() -> tuple[int, int, int, set[str]]:
        hub = listen.hub()
        stream = events.stream(task_id, None)
        await next_event(stream)
        subscribed = dict(await hub.client.pubsub_numsub(channel))[channel.encode()]
        topic = hub.topics[task_id]
        await stream.aclose()  # what Django does when the browser goes away
        await asyncio.sleep(0.2)
        left = dict(await hub.client.pubsub_numsub(channel))[channel.encode()]
        tasks_left = {
            t.get_coro().__qualname__
            for t in asyncio.all_tasks()
            if t is not asyncio.current_task()
        }
        await close_hub()
        return subscribed, left, len(hub.topics) + (not topic._task.done()), tasks_left

    subscribed, left, topics, tasks_left = async_to_sync(main)()
    redis_db.set(key, 1)
    assert (subscribed, left, topics) == (1, 0, 0)
    assert tasks_left == {"Hub._listen"}  # the process's one listener, no task per stream


def test_a_killed_work_horse_ends_the_stream_as_failed(redis_db, rqworker, settings) -> None:
    settings.RQ_POLL = {"QUEUE": "default", "PUSH_RECHECK": 0.5}
    rqworker()
    key = uuid.uuid4().hex
    task_id = held_job(key)
    wait_started(redis_db, key)

    async def main() -> dict[str, Any]:
        stream = events.stream(task_id, None)
        await next_event(stream)
        pid = int(redis_db.get(f"{key}:pid"))
        os.kill(pid, signal.SIGKILL)  # announces nothing
        end = await next_event(stream)
        await close_hub()
        return end

    end = async_to_sync(main)()
    assert (end["event"], end["data"]["state"], end["data"]["failed"]) == ("done", "failed", True)


def test_a_lost_pubsub_connection_falls_back_to_lookups_then_recovers(
    redis_db, rqworker, settings
) -> None:
    settings.RQ_POLL = {"QUEUE": "default", "PUSH_RECHECK": 0.5}
    rqworker()
    rqworker()  # one job each, both held running
    keys_ = [uuid.uuid4().hex for _ in range(2)]
    ids = [held_job(k) for k in keys_]
    for k in keys_:
        wait_started(redis_db, k)

    async def main() -> tuple[dict[str, Any], dict[str, Any], int]:
        hub = listen.hub()
        first, second = (events.stream(i, None) for i in ids)
        await next_event(first)
        await next_event(second)
        db = str(redis_db.connection_pool.connection_kwargs.get("db", 0))
        pubsub = [  # this test's connection: another suite or xdist worker may share the server
            c
            for c in redis_db.client_list()
            if c["name"] == "rq_poll:push:pubsub" and str(c.get("db")) == db
        ]
        redis_db.client_kill_filter(_id=pubsub[0]["id"])
        await release(keys_[0])  # announced while nobody listens: a recheck finds it
        end_first = await next_event(first)

        await reconnected(hub)
        await release(keys_[1])
        end_second = await next_event(second)
        reconnects = hub.reconnects
        await close_hub()
        return end_first, end_second, reconnects

    end_first, end_second, reconnects = async_to_sync(main)()
    assert end_first["data"]["state"] == end_second["data"]["state"] == "complete"
    assert reconnects >= 1


def test_a_queued_jobs_stream_tells_its_place_and_staff_the_missing_worker(redis_db) -> None:
    ahead = [api.begin_process(tasks.add, (n, n)) for n in range(2)]
    task_id = api.begin_process(tasks.add, (1, 2))

    async def main() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        visitor = events.stream(task_id, None)
        staff = events.stream(task_id, None, details=True)
        first, for_staff = await next_event(visitor), await next_event(staff)
        # a job ahead leaves the queue: the next recheck tells the new place
        await asyncio.to_thread(backends.backend().queue.remove, ahead[0])
        listen.hub().topics[task_id].poke()
        moved = await next_event(visitor)
        await visitor.aclose()
        await staff.aclose()
        await close_hub()
        return first, for_staff, moved

    first, for_staff, moved = async_to_sync(main)()
    assert (
        first["data"]["status"] == "This process is waiting to start: it is number 3 in the queue."
    )
    assert (first["data"]["position"], first["data"]["workers"], first["data"]["notice"]) == (
        3,
        None,
        None,
    )
    assert for_staff["data"]["workers"] == 0
    assert "Start one with: python manage.py rqworker default" in for_staff["data"]["notice"]
    assert moved["data"]["position"] == 2 and moved["id"] > first["id"]


def test_a_stream_opens_with_the_retry_hint_and_keeps_a_quiet_job_alive(redis_db, settings):
    """The first chunk tells EventSource to reconnect after the poll interval (in ms);
    while nothing changes, a comment every PUSH_HEARTBEAT seconds keeps proxies from
    closing the connection."""
    settings.RQ_POLL = {"POLL_INTERVAL": 0.75, "PUSH_HEARTBEAT": 0.05}
    task_id = api.begin_process(tasks.add, (1, 2))  # queued: no worker, nothing changes

    async def main() -> list[str]:
        stream = events.stream(task_id, None)
        chunks = [await stream.__anext__() for _ in range(4)]
        await stream.aclose()
        await close_hub()
        return chunks

    retry, state, *quiet = async_to_sync(main)()
    assert retry == "retry: 750\n\n"
    assert parse(state)["event"] == "state"
    assert quiet == [": keep-alive\n\n"] * 2


# -- the endpoint --------------------------------------------------------------------------
async def first_chunks(client: AsyncClient, path: str) -> tuple[Any, str]:
    response = await client.get(path)
    if not response.streaming:
        return response, response.content.decode()
    stream = response.streaming_content
    text = ""
    while "id: " not in text:
        text += (await asyncio.wait_for(stream.__anext__(), 10)).decode()
    await stream.aclose()
    return response, text


def test_the_endpoint_streams_to_the_owner_and_404s_anyone_else(alice, bob, run_jobs) -> None:
    async def main() -> tuple[Any, str, Any, Any]:
        client = AsyncClient()
        await client.aforce_login(alice)
        page = await client.get("/whose/")
        task_id = page.context["task_id"]
        owner, text = await first_chunks(client, EVENTS.format(task_id))
        await client.aforce_login(bob)
        other, _ = await first_chunks(client, EVENTS.format(task_id))
        anonymous, _ = await first_chunks(AsyncClient(), EVENTS.format(task_id))
        await close_hub()
        return owner, text, other, anonymous

    owner, text, other, anonymous = async_to_sync(main)()
    assert owner.status_code == 200
    assert owner["Content-Type"] == "text/event-stream"
    assert "no-cache" in owner["Cache-Control"]
    assert text.startswith("retry: ")
    assert parse(text.split("\n\n", 1)[1])["data"]["state"] == "pending"
    assert (other.status_code, anonymous.status_code) == (404, 404)
    assert json.loads(other.content) == {"error": "No such process."}


@pytest.mark.parametrize("job_id", ["nope", "x" * 200, "a.b"])
def test_unknown_and_invalid_ids_404(job_id) -> None:
    response, _ = async_to_sync(first_chunks)(AsyncClient(), EVENTS.format(job_id))
    assert response.status_code == 404


def test_pages_under_wsgi_poll_and_the_endpoint_refuses_them(alice) -> None:
    client = Client()
    client.force_login(alice)
    page = client.get("/whose/")
    assert page.status_code == 202
    assert b"data-rq-poll-status-url" in page.content
    assert b"data-rq-poll-events-url" not in page.content
    assert client.get(EVENTS.format(page.context["task_id"])).status_code == 404


def test_pages_under_asgi_offer_push_unless_it_is_off(alice, settings) -> None:
    async def page() -> bytes:
        client = AsyncClient()
        await client.aforce_login(alice)
        return (await client.get("/whose/")).content

    assert b'data-rq-poll-events-url="/rq-poll/events/' in async_to_sync(page)()
    settings.RQ_POLL = {"QUEUE": "default", "PUSH": False}
    assert b"data-rq-poll-events-url" not in async_to_sync(page)()


def test_the_endpoint_answers_503_while_redis_is_unreachable(settings) -> None:
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0"}}
    response, _ = async_to_sync(first_chunks)(AsyncClient(), EVENTS.format("a" * 32))
    assert response.status_code == 503
    assert response["Retry-After"] == "10"


@pytest.mark.parametrize(
    ("events_url", "expected", "absent"),
    [
        ("/rq-poll/events/abc/", 'sse-connect="/rq-poll/events/abc/"', "every 1000ms"),
        ("", 'hx-trigger="every 1000ms"', "sse-connect"),
    ],
)
def test_the_htmx_sse_fragment_listens_or_polls(events_url, expected, absent) -> None:
    from django.template.loader import render_to_string

    html = render_to_string(
        "django_rq_poll/htmx/running_sse.html",
        {"events_url": events_url, "page_url": "/r/", "poll_interval_ms": "1000", "status": "s"},
    )
    assert expected in html and absent not in html
    assert ('hx-trigger="sse:done"' in html) == bool(events_url)


def test_the_end_announcement_ends_the_stream_without_a_recheck(
    redis_db, rqworker, settings
) -> None:
    """With rechecks an hour apart, only the job's channel, subscribed when the stream
    opened on the hub's running connection, can end the stream in time."""
    settings.RQ_POLL = {"QUEUE": "default", "PUSH_RECHECK": 3600}
    rqworker()
    key = uuid.uuid4().hex
    task_id = held_job(key)
    wait_started(redis_db, key)

    async def main() -> tuple[int, dict[str, Any]]:
        await last_event(events.stream("no-such-job", None))  # the hub is connected now
        stream = events.stream(task_id, None)
        await next_event(stream)
        channel = f"rq_poll:events:{task_id}"
        subscribed = dict(await listen.hub().client.pubsub_numsub(channel))[channel.encode()]
        await release(key)
        end = await last_event(stream, timeout=30)
        await close_hub()
        return subscribed, end

    subscribed, end = async_to_sync(main)()
    assert subscribed == 1
    assert (end["event"], end["data"]["state"]) == ("done", "complete")


def test_after_a_reconnect_an_announcement_arrives_without_a_recheck(
    redis_db, rqworker, settings
) -> None:
    """The listener subscribes its channels again after its pub/sub connection drops:
    with rechecks an hour apart, only the announcement can end the stream in time."""
    settings.RQ_POLL = {"QUEUE": "default", "PUSH_RECHECK": 3600}
    rqworker()
    key = uuid.uuid4().hex
    task_id = held_job(key)
    wait_started(redis_db, key)

    async def main() -> dict[str, Any]:
        hub = listen.hub()
        stream = events.stream(task_id, None)
        await next_event(stream)
        (pubsub,) = [i for i, n in push_connections(redis_db).items() if n.endswith(":pubsub")]
        redis_db.client_kill_filter(_id=pubsub)  # this test's own, not another worker's
        await reconnected(hub)
        topic = hub.topics[task_id]
        await asyncio.wait_for(topic.subscribed.wait(), 30)
        await release(key)
        end = await last_event(stream, timeout=30)
        await close_hub()
        return end

    end = async_to_sync(main)()
    assert (end["event"], end["data"]["state"]) == ("done", "complete")


def test_a_stream_opened_while_lookups_fail_ends_once_they_succeed(
    redis_db, run_jobs, settings, monkeypatch, caplog
) -> None:
    """A topic whose first lookups fail (Redis restarting, a stale connection) keeps
    looking instead of stopping, and a later stream on the job never inherits it stuck.
    The outage is logged once, with the job and the error's cause, not at every look."""
    settings.RQ_POLL = {"QUEUE": "default", "PUSH_RECHECK": 0.1}
    task_id = api.begin_process(tasks.add, (1, 2))
    run_jobs()
    real, failures = listen._looking, [3]

    def flaky(home, job_id):
        if failures[0] > 0:
            failures[0] -= 1
            raise poll.RedisUnavailable("here") from ConnectionResetError("reset")
        return real(home, job_id)

    monkeypatch.setattr(listen, "_looking", flaky)

    async def main() -> tuple[dict[str, Any], dict[str, Any]]:
        first = await last_event(events.stream(task_id, None), timeout=30)
        second = await last_event(events.stream(task_id, None), timeout=30)
        await close_hub()
        return first, second

    with caplog.at_level(logging.WARNING, logger="django_rq_poll"):
        first, second = async_to_sync(main)()
    assert first["data"]["state"] == second["data"]["state"] == "complete"
    assert failures == [0]
    assert [r.getMessage() for r in caplog.records if r.name == "django_rq_poll"] == [
        f"Stream of job {task_id} cannot look it up: {poll.RedisUnavailable('here')} "
        "(ConnectionResetError('reset'))"
    ]


def test_a_reconnect_through_http_does_not_resend_the_event_seen(run_jobs) -> None:
    """What a browser's EventSource sends on reconnecting (``Last-Event-ID``) reaches the
    stream through the endpoint: the event it saw is not sent again."""
    task_id = api.begin_process(tasks.add, (1, 2))
    run_jobs()

    async def body(headers: dict[str, str]) -> str:
        response = await AsyncClient().get(EVENTS.format(task_id), headers=headers)
        assert response.status_code == 200
        text = "".join([chunk.decode() async for chunk in response.streaming_content])
        await close_hub()  # this loop's: no connection left for the next tests to count
        return text

    first = async_to_sync(body)({})
    seen = parse(first.split("\n\n", 1)[1])
    assert (seen["event"], seen["data"]["state"]) == ("done", "complete")
    again = async_to_sync(body)({"Last-Event-ID": str(seen["id"])})
    assert "id: " not in again and again.startswith("retry: ")
    older = async_to_sync(body)({"Last-Event-ID": str(seen["id"] - 1)})
    assert parse(older.split("\n\n", 1)[1])["id"] == seen["id"]


def test_a_visitor_holds_at_most_max_streams(settings) -> None:
    """One client opening stream after stream gets 429 (and polls) past MAX_STREAMS; its
    slots come back as its streams close, and other visitors are not affected."""
    visitor_key = "tests.push.test_stream.visitor_header"
    settings.RQ_POLL = {"QUEUE": "default", "MAX_STREAMS": 2, "VISITOR_KEY": visitor_key}
    task_id = api.begin_process(tasks.add, (1, 2))
    url = EVENTS.format(task_id)
    one, two = {"X-Visitor": "one"}, {"X-Visitor": "two"}

    async def main() -> list[int]:
        client = AsyncClient()
        held = [await client.get(url, headers=one), await client.get(url, headers=one)]
        over = await client.get(url, headers=one)
        other = await client.get(url, headers=two)
        held[0].close()  # what Django does once a response is sent (or abandoned)
        again = await client.get(url, headers=one)
        for response in (held[1], other, again):
            response.close()
        await close_hub()
        assert over["Retry-After"] == "10" and "no-store" in over["Cache-Control"]
        return [r.status_code for r in (*held, over, other, again)]

    assert async_to_sync(main)() == [200, 200, 429, 200, 200]


def visitor_header(request) -> str:
    """VISITOR_KEY for the streams' cap test: who asks, as the test says."""
    return str(request.headers.get("X-Visitor", ""))
