"""The reading async twins await redis.asyncio natively and answer what the sync
functions answer, for jobs in every state, by URL and by id."""

from __future__ import annotations

import asyncio
import inspect
import uuid

import pytest

import django_rq_poll as poll
from django_rq_poll import aapi as atwins
from django_rq_poll import api
from tests import tasks

# Starts are compared in tests/drivers/test_aio.py; forget and cancel change what the
# other side reads.
STARTS = {"abegin_process", "acheck_status_or_begin", "astart_unless_active"}
CHANGES = {"aforget_process", "acancel_process"}
READS = [name[1:] for name in atwins.__all__ if name not in STARTS | CHANGES]


def _ask(name: str, url: str | None, task_id: str | None):
    kwargs = {}
    if name != "get_url_from_taskid":
        kwargs["polling_url"] = url
    if name != "get_taskid_from_url":
        kwargs["task_id"] = task_id
    return kwargs


def _answer(call, kwargs):
    try:
        return ("value", call(**kwargs))
    except poll.ProcessFailed as exc:
        return ("raised", str(exc))


async def _aanswer(call, kwargs):
    try:
        return ("value", await call(**kwargs))
    except poll.ProcessFailed as exc:
        return ("raised", str(exc))


@pytest.mark.parametrize("kind", ["complete", "failed", "pending", "progress", "unknown"])
def test_native_twins_answer_as_the_sync_functions(kind, run_jobs) -> None:
    url = f"/twins/{uuid.uuid4().hex}/"
    task = {"complete": tasks.add, "failed": tasks.fail, "progress": tasks.report}.get(
        kind, tasks.add
    )
    args = {"complete": (1, 2), "progress": (3,)}.get(kind, ())
    task_id = "f" * 32 if kind == "unknown" else poll.begin_process(task, args, polling_url=url)
    if kind not in ("pending", "unknown"):
        run_jobs()
    questions = [
        (name, kwargs)
        for name in READS
        for kwargs in (_ask(name, url, None), _ask(name, None, task_id))
        if any(v is not None for v in kwargs.values())
    ]

    async def native():
        return [await _aanswer(getattr(poll, "a" + name), kw) for name, kw in questions]

    expected = [_answer(getattr(poll, name), kw) for name, kw in questions]
    assert asyncio.run(native()) == expected


@pytest.mark.parametrize("name", [name[1:] for name in atwins.__all__])
def test_a_twin_runs_the_program_of_its_sync_function(name) -> None:
    twin, sync = getattr(poll, f"a{name}"), getattr(poll, name)
    assert inspect.iscoroutinefunction(twin) and not inspect.iscoroutinefunction(sync)
    assert (twin.__name__, twin.__qualname__) == (f"a{name}", f"a{name}")
    assert twin.__doc__ == f"Async twin of :func:`{name}`, for async views."
    assert twin.__wrapped__ is sync.__wrapped__  # one program (core/calls.py)
    assert inspect.signature(twin) == inspect.signature(sync)


def test_the_package_exports_the_native_twins() -> None:
    for name in atwins.__all__:
        # one program each: the twin runs what its sync function runs, awaited
        assert getattr(atwins, name).__wrapped__ is getattr(api, name[1:]).__wrapped__
        if name != "astart_unless_active":  # the pages' helper, not the public API
            assert getattr(poll, name) is getattr(atwins, name)


def test_native_twins_raise_redis_unavailable(settings) -> None:
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0"}}
    with pytest.raises(poll.RedisUnavailable, match=r"127\.0\.0\.1:1"):
        asyncio.run(poll.aget_process_status("/x/"))
