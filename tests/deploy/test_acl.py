"""The whole flow as a Redis ACL user with exactly the documented permissions.

The rules come from :mod:`django_rq_poll.acl` (the deployment docs print the same line);
the web side, a real ``rqworker`` (started, stopped with SIGTERM, restarted under the same
name, and a burst one) and ``rqpoll`` all log in as that user, and Redis' ``ACL LOG``
must show no refusal at the end.
"""

from __future__ import annotations

import logging
import uuid
from io import StringIO

import pytest
from asgiref.sync import async_to_sync
from django.core.management import call_command
from django.test import AsyncClient, Client

import django_rq_poll as poll
from django_rq_poll import State
from django_rq_poll.core import errors
from django_rq_poll.drivers import backends
from django_rq_poll.ops import acl
from tests import tasks
from tests.faults import tasks as fault_tasks
from tests.faults.helpers import wait_until
from tests.push.test_stream import streamed_end
from tests.workers import BURST, stop_warmly

PASSWORD = "site-secret"


def _site_user(server, rules):
    admin = server.client()
    admin.execute_command("ACL", "SETUSER", "site", "reset", "on", f">{PASSWORD}", *rules)
    return f"redis://site:{PASSWORD}@127.0.0.1:{server.port}/0"


def _flow(site_url, admin_url, killable_worker, use_redis, admin):
    use_redis(site_url)
    env = {"REDIS_URL": site_url, "RQ_POLL_TEST_ADMIN_URL": admin_url}
    name = f"acl-{uuid.uuid4().hex[:8]}"
    worker = killable_worker("default", "--name", name, env=env)
    done_url, held_url, queued_url, failed_url = (f"/acl/{uuid.uuid4().hex}" for _ in range(4))
    # start, a real worker, poll, finish
    first = poll.check_status_or_begin(tasks.add, (20, 22), polling_url=done_url)
    assert first.started
    wait_until(lambda: poll.process_is_complete(done_url), timeout=60)
    assert poll.get_process_result(done_url) == 42
    assert poll.get_process_status(done_url) is State.COMPLETE
    assert poll.get_taskid_from_url(done_url) == first.task_id
    assert poll.get_url_from_taskid(first.task_id) == done_url
    again = poll.check_status_or_begin(tasks.add, (20, 22), polling_url=done_url)
    assert not again.started and again.task_id == first.task_id
    # cancel a running job, and a queued one behind it
    hold = f"hold-{uuid.uuid4().hex}"
    poll.check_status_or_begin(fault_tasks.hold_as_admin, (hold,), polling_url=held_url)
    wait_until(lambda: admin.get(f"{hold}:started"), timeout=60)
    wait_until(lambda: poll.process_is_running(held_url), timeout=30)
    poll.begin_process(tasks.add, (1, 1), polling_url=queued_url)
    assert poll.process_is_pending(queued_url)
    assert poll.cancel_process(queued_url)
    assert poll.get_process_status(queued_url) is State.CANCELED
    assert poll.cancel_process(held_url)
    wait_until(lambda: poll.process_has_failed(held_url), timeout=30)
    assert poll.get_process_progress(held_url) is None
    # a failure, and a retry that starts afresh
    failed = poll.check_status_or_begin(tasks.fail, ("boom",), polling_url=failed_url)
    wait_until(lambda: poll.process_has_failed(failed_url), timeout=30)
    with pytest.raises(poll.ProcessFailed):
        poll.get_process_result(failed_url)
    assert poll.forget_process(failed_url)
    retried = poll.check_status_or_begin(tasks.fail, ("boom",), polling_url=failed_url)
    assert retried.started and retried.task_id != failed.task_id
    # a page and the status endpoint
    browser = Client()
    page = browser.get("/sum/?x=2&y=3")
    assert page.status_code == 202
    wait_until(lambda: browser.get("/sum/?x=2&y=3").status_code == 200, timeout=30)
    status = browser.get(f"/rq-poll/status/{first.task_id}/")
    assert status.status_code == 200 and status.json()["state"] == "complete"
    # an async page: the native start, the queue place, the lookup (redis.asyncio)
    assert async_to_sync(AsyncClient().get)("/async/").status_code == 202
    wait_until(lambda: async_to_sync(AsyncClient().get)("/async/").status_code == 200, timeout=30)
    native = async_to_sync(poll.acheck_status_or_begin)(
        tasks.add, (4, 4), polling_url=f"/acl/{uuid.uuid4().hex}", visitor="v"
    )
    assert native.started
    # the async twins that read, cancel and forget, and a stream (pub/sub on the events
    # channel, the hub's lookups), as the same ACL user
    assert async_to_sync(poll.aget_process_result)(done_url) == 42
    assert async_to_sync(poll.aget_url_from_taskid)(first.task_id) == done_url
    assert streamed_end(first.task_id) == "complete"
    forgotten = f"/acl/{uuid.uuid4().hex}"
    poll.begin_process(tasks.add, (1, 1), polling_url=forgotten)
    wait_until(lambda: poll.process_is_complete(forgotten), timeout=60)
    assert async_to_sync(poll.aforget_process)(forgotten)
    assert async_to_sync(poll.aget_process_status)(forgotten) is None
    # the operators' command
    for args in (("list",), ("show", done_url), ("cleanup",), ("forget", done_url)):
        call_command("rqpoll", *args, "--json", stdout=StringIO())
    assert poll.get_process_status(done_url) is None
    assert worker.poll() is None, "the worker died"
    # a graceful stop, a restart under the same name, and a burst worker
    assert stop_warmly(worker) == 0
    again = killable_worker("default", "--name", name, env=env)
    late = poll.check_status_or_begin(tasks.add, (2, 2), polling_url=f"/acl/{uuid.uuid4().hex}")
    wait_until(lambda: poll.process_is_complete(task_id=late.task_id), timeout=60)
    assert again.poll() is None, "the restarted worker died"
    assert stop_warmly(again) == 0
    # new inputs while queued (no worker runs now): replaced, on both sides
    edited = f"/acl/{uuid.uuid4().hex}"
    stale = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=edited)
    fresh = poll.check_status_or_begin(tasks.add, (5, 5), polling_url=edited, replace_queued=True)
    newest = async_to_sync(poll.acheck_status_or_begin)(
        tasks.add, (6, 6), polling_url=edited, replace_queued=True
    )
    assert fresh.started and newest.started
    assert poll.get_process_status(task_id=stale.task_id) is None
    assert poll.get_process_status(task_id=fresh.task_id) is None
    burst = poll.begin_process(tasks.add, (3, 3), polling_url=f"/acl/{uuid.uuid4().hex}")
    assert killable_worker(*BURST, "default", env=env).wait(timeout=60) == 0
    assert poll.get_process_result(task_id=burst) == 6
    assert poll.get_process_result(edited) == 12


def _refusals(admin) -> list[str]:
    return [
        f"{entry[b'reason'].decode()} {entry[b'object'].decode()} ({entry[b'context'].decode()})"
        for entry in (_entry(e) for e in admin.execute_command("ACL", "LOG"))
    ]


def _entry(raw) -> dict:
    if isinstance(raw, dict):
        return {k if isinstance(k, bytes) else k.encode(): _b(v) for k, v in raw.items()}
    return {raw[i]: _b(raw[i + 1]) for i in range(0, len(raw), 2)}


def _b(value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def test_whole_flow_as_the_documented_acl_user(private_redis, use_redis, killable_worker):
    server = private_redis()
    admin = server.client()
    site = _site_user(server, acl.rules("rq_poll"))
    admin.execute_command("ACL", "LOG", "RESET")
    _flow(site, server.url, killable_worker, use_redis, admin)
    assert _refusals(admin) == []


@pytest.mark.parametrize(
    ("taken", "missing"),
    [("get", "the command GET"), ("evalsha", "the command EVALSHA"), ("~rq_poll:*", "a key")],
)
def test_a_refused_permission_names_itself(taken, missing, private_redis, use_redis, url, caplog):
    """Not a bare 500 with a script traceback: the error (and the 503 page's log line)
    says what the ACL user lacks."""
    server = private_redis()
    rules = [r for r in acl.rules("rq_poll") if r != f"+{taken}" and r != taken]
    use_redis(_site_user(server, rules))
    with pytest.raises(poll.RedisPermissionDenied) as caught:
        poll.get_process_status(url)
    assert missing in str(caught.value) and caught.value.missing == missing
    assert isinstance(caught.value, poll.RedisUnavailable)
    with caplog.at_level(logging.WARNING, logger="django_rq_poll"):
        page = Client(raise_request_exception=False).get("/sum/")
    assert page.status_code == 503
    logged = [r for r in caplog.records if r.name == "django_rq_poll"]
    assert [r.levelno for r in logged] == [logging.ERROR]  # someone must grant it
    assert missing in logged[0].getMessage()
    assert backends.backend().where in str(caught.value)
    # the async side names it alike (0.2.0's said "unreachable"), and its page logs ERROR
    with pytest.raises(poll.RedisPermissionDenied) as native:
        async_to_sync(poll.aget_process_status)(url)
    assert native.value.missing == missing and str(native.value) == str(caught.value)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="django_rq_poll"):
        page = Client(raise_request_exception=False).get("/async/")
    assert page.status_code == 503
    logged = [r for r in caplog.records if r.name == "django_rq_poll"]
    assert [r.levelno for r in logged] == [logging.ERROR]


def test_a_refused_permission_in_rqpoll_is_a_command_error(private_redis, use_redis):
    from django.core.management.base import CommandError

    server = private_redis()
    use_redis(_site_user(server, [r for r in acl.rules("rq_poll") if r != "+scan"]))
    with pytest.raises(CommandError, match="the command SCAN"):
        call_command("rqpoll", "list", stdout=StringIO())


def test_the_deployment_docs_print_the_proven_rules():
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "deployment.rst").read_text()
    assert acl.setuser_line("rq_poll") in text


SOURCE = "local a = 1\nlocal b = redis.call('HGET', KEYS[1], 'x')\n"


@pytest.mark.parametrize(
    ("message", "missing"),
    [
        ("this user has no permissions to run the 'get' command", "the command GET"),
        ("this user has no permissions to access one of the keys used as arguments", "a key"),
        (
            "this user has no permissions to access one of the channels used as arguments",
            "a channel",
        ),
        (
            "The user executing the script can't run this command or subcommand script: "
            "abc, on @user_script:2.",
            "the command HGET",
        ),
        (
            "The user executing the script can't access at least one of the keys mentioned "
            "in the command script: abc, on @user_script:2.",
            "a key used by HGET in a script",
        ),
        ("WRONGTYPE Operation against a key holding the wrong kind of value", None),
        ("BUSY Redis is busy running a script", None),
    ],
)
def test_what_a_refusal_refused(message, missing):
    import redis

    assert errors.describe_refusal(redis.ResponseError(message), SOURCE) == missing
