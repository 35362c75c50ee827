"""A private redis-server killed and started again under the API.

While it is down every call raises :class:`RedisUnavailable`; once it is back the same
cached clients work again (nothing reconfigured), and no URL ever points at a job that
was not enqueued. The server keeps an append-only file fsynced on every write, so what
it acknowledged survives the SIGKILL, as on a production server with persistence.
"""

from __future__ import annotations

import functools
import inspect
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from rq.job import Job

import django_rq_poll as poll
from django_rq_poll import State, progress
from django_rq_poll.drivers import backends
from tests import tasks
from tests.faults.helpers import (
    Transition,
    durable_server,
    kill_repeatedly,
    mappings_point_at_enqueued_jobs,
    server_was,
)
from tests.workers import BurstWorker


def _arguments(url: str, task_id: str) -> dict[str, tuple[tuple[Any, ...], dict[str, Any]]]:
    """Arguments for each public sync function; its async twin takes the same."""
    by_url: tuple[tuple[Any, ...], dict[str, Any]] = ((), {"polling_url": url})
    by_id: tuple[tuple[Any, ...], dict[str, Any]] = ((), {"task_id": task_id})
    begin = ((tasks.add, (1, 2)), {"polling_url": url})
    return {
        "check_status_or_begin": begin,
        "begin_process": begin,
        "get_process_status": by_url,
        "process_is_running_or_complete": by_url,
        "process_is_running": by_url,
        "process_is_pending": by_id,
        "process_is_complete": by_id,
        "process_has_failed": by_url,
        "get_process_result": by_url,
        "get_process_progress": by_url,
        "get_process_snapshot": by_id,
        "get_taskid_from_url": ((url,), {}),
        "get_url_from_taskid": ((task_id,), {}),
        "forget_process": by_url,
        "cancel_process": by_url,
        "set_progress": ((1, 2, "halfway"), {}),  # inside a job: see _inside_a_job
    }


def public_functions() -> list[str]:
    """Every function django_rq_poll exports, sync and async: a new one cannot be missed."""
    return sorted(name for name in poll.__all__ if inspect.isfunction(getattr(poll, name)))


def _calls(url: str, task_id: str) -> dict[str, Callable[[], Any]]:
    arguments = _arguments(url, task_id)
    calls: dict[str, Callable[[], Any]] = {}
    for name in public_functions():
        func = getattr(poll, name)
        twin_of = name[1:] if name.startswith("a") and name[1:] in arguments else None
        assert twin_of is not None or name in arguments, f"no arguments for {name}: add them"
        args, kwargs = arguments[twin_of or name]
        if inspect.iscoroutinefunction(func):
            calls[name] = functools.partial(async_to_sync(func), *args, **kwargs)
        else:
            calls[name] = functools.partial(func, *args, **kwargs)
    return calls


def test_every_public_function_is_called():
    names = set(_calls("/x", "x"))
    assert names == set(public_functions())
    assert {"set_progress", "get_process_snapshot", "acancel_process"} <= names


def test_stop_and_restart(private_redis, use_redis, tally, monkeypatch):
    """Every public function, sync and async, raises RedisUnavailable naming the server."""
    server = durable_server(private_redis)
    backend = use_redis(server.url)
    urls = [f"/outage/{uuid.uuid4().hex}" for _ in range(5)]
    ids = [
        poll.check_status_or_begin(tasks.add, (i, i), polling_url=url).task_id
        for i, url in enumerate(urls)
    ]

    # set_progress() writes through the running job's own connection
    job = Job.create(tasks.add, (1, 2), connection=server.client(), origin="default")
    monkeypatch.setattr(progress, "get_current_job", lambda: job)

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
    assert backends.backend() is backend  # the same cached clients, nothing reconfigured
    for i, (url, task_id) in enumerate(zip(urls, ids, strict=True)):
        again = poll.check_status_or_begin(tasks.add, (i, i), polling_url=url)
        tally.answer("redis stopped", not again.started and again.task_id == task_id, url)
    BurstWorker([backend.queue], connection=backend.connection).work(burst=True)
    for i, url in enumerate(urls):
        tally.answer("redis stopped", poll.get_process_result(url) == 2 * i, url)
    assert mappings_point_at_enqueued_jobs(server.client()) == []
    tally.assert_clean("redis stopped")


def test_killed_while_in_use(private_redis, use_redis, tally):
    """SIGKILL the server at random moments while a thread starts and reads jobs.

    Calls made while the server is up answer right, calls made while it is down raise
    RedisUnavailable; a call that a kill or a restart overlaps may do either.
    """
    server = durable_server(private_redis)
    use_redis(server.url)
    done = threading.Event()
    acknowledged: dict[str, str] = {}  # url -> id the API returned
    outcomes = {"ok": 0, "unavailable": 0}
    unexpected: list[str] = []
    passes: list[tuple[float, float, str, str]] = []  # began, ended, url, outcome
    transitions: list[Transition] = []

    def hammer() -> None:
        n = 0
        while not done.is_set():
            url = f"/hammer/{n}"
            n += 1
            began = time.monotonic()
            try:
                text = poll.check_status_or_begin(tasks.add, (1, n), polling_url=url)
                acknowledged[url] = text.task_id
                again = poll.check_status_or_begin(tasks.add, (1, n), polling_url=url)
                if again.task_id != text.task_id or again.started:
                    unexpected.append(f"{url}: second call started {again.task_id}")
                status = poll.get_process_status(url)
                if status is not State.PENDING:
                    unexpected.append(f"{url}: {status}, not pending")
                outcome = "ok"
            except poll.RedisUnavailable:
                outcome = "unavailable"
            except Exception as exc:
                outcome = "raised"
                unexpected.append(f"{url}: {exc!r}")
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            passes.append((began, time.monotonic(), url, outcome))

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        kill_repeatedly(
            server, tally, "redis killed mid-use", seed=5, most_gap=0.6, transitions=transitions
        )
    finally:
        done.set()
        thread.join(timeout=60)
    conn = server.client()
    tally.answer("redis killed mid-use", not unexpected, "; ".join(unexpected[:5]))
    for began, ended, url, outcome in passes:
        up = server_was(transitions, began, ended)
        if up is not None:
            expected = "ok" if up else "unavailable"
            tally.answer("redis killed mid-use", outcome == expected, f"{url}: {outcome}")
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
    backends.clear_cache()
