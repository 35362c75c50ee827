"""A private redis-server killed and started again under the API.

While it is down every call raises :class:`RedisUnavailable`; once it is back the same
cached clients work again (nothing reconfigured), and no URL ever points at a job that
was not enqueued. The server keeps an append-only file fsynced on every write, so what
it acknowledged survives the SIGKILL, as on a production server with persistence.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from rq import Worker

import django_rq_poll as poll
from django_rq_poll import State, store
from tests import tasks
from tests.faults.helpers import (
    durable_server,
    kill_repeatedly,
    mappings_point_at_enqueued_jobs,
)


def _calls(url: str, task_id: str):
    return {
        "check_status_or_begin": lambda: poll.check_status_or_begin(
            tasks.add, (1, 2), polling_url=url
        ),
        "begin_process": lambda: poll.begin_process(tasks.add, (1, 2), polling_url=url),
        "get_process_status": lambda: poll.get_process_status(url),
        "process_is_running": lambda: poll.process_is_running(url),
        "process_is_complete": lambda: poll.process_is_complete(task_id=task_id),
        "process_has_failed": lambda: poll.process_has_failed(url),
        "get_process_result": lambda: poll.get_process_result(url),
        "get_process_progress": lambda: poll.get_process_progress(url),
        "get_taskid_from_url": lambda: poll.get_taskid_from_url(url),
        "get_url_from_taskid": lambda: poll.get_url_from_taskid(task_id),
        "forget_process": lambda: poll.forget_process(url),
        "cancel_process": lambda: poll.cancel_process(url),
    }


def test_stop_and_restart(private_redis, use_redis, tally):
    server = durable_server(private_redis)
    backend = use_redis(server.url)
    urls = [f"/outage/{uuid.uuid4().hex}" for _ in range(5)]
    ids = [
        poll.check_status_or_begin(tasks.add, (i, i), polling_url=url).task_id
        for i, url in enumerate(urls)
    ]

    server.stop()
    tally.fault("redis stopped")
    started = time.monotonic()
    for name, call in _calls(urls[0], ids[0]).items():
        try:
            value = call()
        except poll.RedisUnavailable as exc:
            ok = server.url.split("//")[1].split("/")[0] in str(exc)
            tally.answer("redis stopped", ok, f"{name}: message {exc}")
        except Exception as exc:  # anything else is a wrong answer
            tally.answer("redis stopped", False, f"{name} raised {exc!r}")
        else:
            tally.answer("redis stopped", False, f"{name} answered {value!r}")
    per_call = (time.monotonic() - started) / len(_calls("", ""))
    tally.notes["redis stopped: milliseconds per call while down"] = round(per_call * 1000, 1)

    server.start()
    assert store.backend() is backend  # the same cached clients, nothing reconfigured
    for i, (url, task_id) in enumerate(zip(urls, ids, strict=True)):
        again = poll.check_status_or_begin(tasks.add, (i, i), polling_url=url)
        tally.answer("redis stopped", not again.started and again.task_id == task_id, url)
    Worker([backend.queue], connection=backend.connection).work(burst=True)
    for i, url in enumerate(urls):
        tally.answer("redis stopped", poll.get_process_result(url) == 2 * i, url)
    assert mappings_point_at_enqueued_jobs(server.client()) == []
    tally.assert_clean("redis stopped")


def test_killed_while_in_use(private_redis, use_redis, tally):
    """SIGKILL the server at random moments while a thread starts and reads jobs."""
    server = durable_server(private_redis)
    use_redis(server.url)
    done = threading.Event()
    acknowledged: dict[str, str] = {}  # url -> id the API returned
    outcomes = {"ok": 0, "unavailable": 0}
    unexpected: list[str] = []

    def hammer() -> None:
        n = 0
        while not done.is_set():
            url = f"/hammer/{n}"
            n += 1
            try:
                text = poll.check_status_or_begin(tasks.add, (1, n), polling_url=url)
                acknowledged[url] = text.task_id
                again = poll.check_status_or_begin(tasks.add, (1, n), polling_url=url)
                if again.task_id != text.task_id or again.started:
                    unexpected.append(f"{url}: second call started {again.task_id}")
                poll.get_process_status(url)
                outcomes["ok"] += 1
            except poll.RedisUnavailable:
                outcomes["unavailable"] += 1
            except Exception as exc:
                unexpected.append(f"{url}: {exc!r}")

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        kill_repeatedly(server, tally, "redis killed mid-use", seed=5, most_gap=0.6)
    finally:
        done.set()
        thread.join(timeout=60)
    conn = server.client()
    tally.answer("redis killed mid-use", not unexpected, "; ".join(unexpected[:5]))
    for url, task_id in acknowledged.items():
        # the URL answers the acknowledged job (or a later one from the same loop pass)
        found = poll.get_taskid_from_url(url)
        tally.answer("redis killed mid-use", found == task_id, f"{url}: {found} != {task_id}")
    for problem in mappings_point_at_enqueued_jobs(conn):
        tally.answer("redis killed mid-use", False, problem)
    tally.notes["redis killed mid-use: calls ok / unavailable"] = dict(outcomes)
    assert outcomes["ok"] > 0 and outcomes["unavailable"] > 0
    tally.assert_clean("redis killed mid-use")


def test_lookups_work_after_script_cache_is_lost(private_redis, use_redis):
    """A restarted server has no scripts loaded; the cached backend reloads them."""
    server = private_redis()
    use_redis(server.url)
    url = f"/scripts/{uuid.uuid4().hex}"
    task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
    server.client().script_flush()
    assert poll.get_process_status(url) is State.PENDING
    server.client().script_flush()
    again = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
    assert again.task_id == task_id and not again.started


@pytest.fixture(autouse=True)
def _no_default_backend_leak():
    yield
    store.clear_cache()
