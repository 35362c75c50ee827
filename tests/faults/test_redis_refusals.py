"""A live Redis that refuses to serve: out of memory, read-only, busy, loading, masterless.

Each state is made on a private ``redis-server`` (no mocks), under a site whose jobs were
started while the server was healthy. While the state lasts, every API call either
answers the truth or raises :class:`RedisUnavailable` (never a raw redis-py error); every
page kind and the status endpoint answer 200/202 with the truth or 503 with
``Retry-After`` (the htmx partial: a 200 fragment saying the connection is lost), and
never a 500 or a trace; the template tags raise :class:`RedisUnavailable` (which
``RedisUnavailableMiddleware`` answers with 503); calls that must write (starting a job,
"try again") answer 503. Errors that waiting will not fix (a missing ACL permission, a
key of the wrong type) raise :class:`RedisRefused`, which names the cause.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
from django.template import Context, Template

import django_rq_poll as poll
from django_rq_poll.core import errors, keys
from django_rq_poll.drivers import backends
from django_rq_poll.web.pages import RETRY_FIELD
from tests import tasks
from tests.faults.helpers import wait_until
from tests.faults.web import body, client, problems
from tests.workers import InProcessWorker

PAGES = ("/sum/?x=3&y=4", "/plus-one/41/")
MIDDLEWARE = "django_rq_poll.middleware.RedisUnavailableMiddleware"
FAILED_PAGE = "/fail/"


def _prepare_site(backend: backends.Backend) -> dict[str, str]:
    """While the server is healthy: two pages with finished jobs, one with a failed job."""
    browser = client()
    ids = {}
    for page in PAGES:
        first = browser.get(page)
        assert first.status_code == 202
        ids[page] = first.context["task_id"]
    assert browser.get(FAILED_PAGE).status_code == 202
    InProcessWorker([backend.queue], connection=backend.connection).work(burst=True)
    failed = browser.get(FAILED_PAGE)
    assert failed.status_code == 500
    ids[FAILED_PAGE] = failed.context["task_id"]
    return ids


def _api_calls(url: str, task_id: str) -> dict[str, Callable[[], object]]:
    fresh = f"/refused/{uuid.uuid4().hex}"
    return {
        "check_status_or_begin (new URL)": lambda: poll.check_status_or_begin(
            tasks.add, (1, 2), polling_url=fresh
        ),
        "begin_process": lambda: poll.begin_process(tasks.add, (1, 2), polling_url=url),
        "get_process_status": lambda: poll.get_process_status(url),
        "process_is_running": lambda: poll.process_is_running(url),
        "process_is_complete": lambda: poll.process_is_complete(task_id=task_id),
        "process_has_failed": lambda: poll.process_has_failed(url),
        "get_process_result": lambda: poll.get_process_result(url),
        "get_process_progress": lambda: poll.get_process_progress(url),
        "get_process_snapshot": lambda: poll.get_process_snapshot(url),
        "get_taskid_from_url": lambda: poll.get_taskid_from_url(url),
        "get_url_from_taskid": lambda: poll.get_url_from_taskid(task_id),
        "forget_process": lambda: poll.forget_process(url),
        "cancel_process": lambda: poll.cancel_process(url),
    }


WRITES = {"check_status_or_begin (new URL)", "begin_process"}


def _web_requests(ids: dict[str, str]) -> Iterator[tuple[str, Callable[[], object], bool]]:
    """(label, request, must it be 503?) for every kind of request a polling site answers."""
    browser = client()
    fresh = f"/sum/?x={uuid.uuid4().int % 10**6}&y=0"
    for page in PAGES:
        yield f"GET {page}", lambda page=page: browser.get(page), False
        yield f"HEAD {page}", lambda page=page: browser.head(page), False
        yield f"htmx {page}", lambda page=page: browser.get(page, HTTP_HX_REQUEST="true"), False
        yield f"status {page}", lambda page=page: browser.get(_status(ids[page])), False
    yield "retry failed page", lambda: browser.post(FAILED_PAGE, {RETRY_FIELD: "1"}), True
    yield "GET never requested", lambda: browser.get(fresh), True
    yield "htmx never requested", lambda: browser.get(fresh, HTTP_HX_REQUEST="true"), True
    yield "GET async view", lambda: browser.get(f"/async/?n={uuid.uuid4().hex}"), True
    yield (
        "GET decorator never requested",
        lambda: browser.get(f"/plus-one/{uuid.uuid4().int % 10**6}/"),
        True,
    )


def _status(task_id: str) -> str:
    return f"/rq-poll/status/{task_id}/"


def _tags(url: str) -> str:
    source = "{% load rq_poll %}{% process_status url %}|{% process_progress url %}"
    return Template(source).render(Context({"url": url}))


def check_everything(tally, kind: str, ids: dict[str, str], code: str) -> None:
    """The API, the pages, the status endpoint and the tags under the refusing server."""
    tally.fault(kind)
    for label, request, must_refuse in _web_requests(ids):
        response = request()
        refused = {503}
        if label.startswith("htmx"):  # htmx swaps no 503: a 200 "connection lost" fragment
            refused = {200}
            lost = "connection to the server was lost" in body(response)
            if must_refuse and not lost:
                wrong = ["htmx fragment does not say the connection is lost"]
                tally.answer(kind, False, f"{label}: {wrong}")
        wrong = problems(response, refused if must_refuse else {200, 202, 286, 500, 503})
        if response.status_code == 500 and label.startswith(("GET", "HEAD", "htmx")):
            wrong.append("500 for a page whose job did not fail")
        tally.answer(kind, not wrong, f"{label}: {wrong}")
    url = PAGES[0]
    refusals = 0
    for name, call in _api_calls(url, ids[url]).items():
        try:
            call()
        except poll.RedisRefused as exc:  # a subclass: not what "not now" should raise
            tally.answer(kind, False, f"{name} raised RedisRefused: {exc}")
        except poll.RedisUnavailable as exc:
            refusals += 1
            named = any(one in str(exc) for one in code.split("|"))
            tally.answer(kind, named, f"{name}: message lacks {code}: {exc}")
        except Exception as exc:
            tally.answer(kind, False, f"{name} raised {exc!r}")
        else:
            tally.answer(kind, name not in WRITES, f"{name} answered while {code}")
    tally.answer(kind, refusals > 0, f"no API call was refused under {code}")
    try:  # a page using the tags answers 503 through RedisUnavailableMiddleware
        _tags(f"/tags/{uuid.uuid4().hex}")
    except poll.RedisRefused as exc:
        tally.answer(kind, False, f"tags raised RedisRefused: {exc}")
    except poll.RedisUnavailable:
        tally.answer(kind, True)
    except Exception as exc:
        tally.answer(kind, False, f"tags raised {exc!r}")
    else:
        tally.answer(kind, True)
    tally.assert_clean(kind)


@pytest.fixture(autouse=True)
def _fresh_backends():
    yield
    backends.clear_cache()


def _redis_with_site(private_redis, use_redis, *extra: str):
    server = private_redis("--enable-debug-command", "yes", *extra)
    backend = use_redis(server.url)
    return server, backend, _prepare_site(backend)


def test_out_of_memory_under_noeviction(private_redis, use_redis, tally):
    server, _backend, ids = _redis_with_site(
        private_redis, use_redis, "--maxmemory-policy", "noeviction"
    )
    conn = server.client()
    conn.set("ballast", b"x" * 2_000_000)
    # a limit well under what is used: every write is refused, however memory moves
    conn.config_set("maxmemory", conn.info("memory")["used_memory"] // 2)
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        conn.set("one-more", 1)
    check_everything(tally, "redis: OOM (noeviction)", ids, "OOM")


def _replica_of(private_redis, master) -> tuple[object, redis.Redis]:
    replica = private_redis()
    conn = replica.client()
    conn.replicaof("127.0.0.1", master.port)
    wait_until(lambda: conn.info("replication")["master_link_status"] == "up")
    return replica, conn


def test_read_only_replica_after_failover(private_redis, use_redis, tally):
    """The site's address now leads to a demoted master: reads work, writes are refused."""
    master, _backend, ids = _redis_with_site(private_redis, use_redis)
    replica, conn = _replica_of(private_redis, master)
    wait_until(lambda: conn.dbsize() == master.client().dbsize())
    use_redis(replica.url)
    check_everything(tally, "redis: READONLY replica", ids, "READONLY")


def test_replica_that_lost_its_master(private_redis, use_redis, tally):
    master, _backend, ids = _redis_with_site(private_redis, use_redis)
    replica, conn = _replica_of(private_redis, master)
    conn.config_set("replica-serve-stale-data", "no")
    use_redis(replica.url)
    master.stop()
    wait_until(lambda: conn.info("replication")["master_link_status"] == "down")
    # reads answer MASTERDOWN, writes READONLY
    check_everything(tally, "redis: MASTERDOWN", ids, "MASTERDOWN|READONLY")


def test_busy_running_a_long_script(private_redis, use_redis, tally, settings):
    server, _backend, ids = _redis_with_site(
        private_redis, use_redis, "--busy-reply-threshold", "50"
    )
    blocker = server.client()

    def spin() -> None:
        with contextlib.suppress(redis.ResponseError):  # killed below
            blocker.eval("while true do end", 0)

    thread = threading.Thread(target=spin, daemon=True)
    thread.start()
    probe = server.client()

    def busy() -> bool:
        try:
            probe.ping()
        except redis.ResponseError as exc:
            return "BUSY" in str(exc)
        return False

    wait_until(busy)
    try:
        check_everything(tally, "redis: BUSY script", ids, "BUSY")
        # a site's own pages: the tags, and code that talks to Redis itself
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]
        use_redis(server.url)  # changing settings emptied the backend cache
        for page in ("/status-tag/", f"/direct-redis/?url={server.url}"):
            wrong = problems(client().get(page), {503})
            tally.answer("redis: BUSY script", not wrong, f"{page} with the middleware: {wrong}")
        tally.assert_clean("redis: BUSY script")
    finally:
        probe.script_kill()
        thread.join(timeout=10)


def test_loading_its_dataset(private_redis, use_redis, tally, tmp_path):
    """A server restarted with a big dump answers LOADING until it has read it all."""
    binary = shutil.which("redis-server")
    server, _backend, ids = _redis_with_site(private_redis, use_redis, "--dir", str(tmp_path))
    conn = server.client()
    conn.execute_command("DEBUG", "POPULATE", 200_000, "ballast", 16)
    conn.save()
    server.stop()
    # key-load-delay (microseconds per key) stretches the load to about 20 seconds, and
    # the server answers (LOADING) between every kilobyte it reads
    loading = subprocess.Popen(
        [
            binary,
            "--port",
            str(server.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(tmp_path),
            "--appendonly",
            "no",
            "--save",
            "",
            "--key-load-delay",
            "100",
            "--loading-process-events-interval-bytes",
            "1024",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        probe = redis.Redis(port=server.port, retry=None, socket_timeout=5)

        def is_loading() -> bool:
            try:
                probe.ping()
            except redis.exceptions.BusyLoadingError:
                return True
            except redis.ConnectionError:
                return False
            return False

        wait_until(is_loading, step=0.01)
        check_everything(tally, "redis: LOADING", ids, "LOADING")
        assert is_loading(), "the load ended before the checks did; raise key-load-delay"
    finally:
        loading.kill()
        loading.wait(timeout=10)


def test_missing_acl_permission_is_named(private_redis, use_redis, caplog):
    """NOPERM: RedisRefused names the permission; pages answer 503 and log an error."""
    server = private_redis()
    server.client().execute_command(
        "ACL", "SETUSER", "site", "on", ">pw", "~*", "&*", "+@all", "-evalsha"
    )
    use_redis(server.url.replace("redis://", "redis://site:pw@"))
    with pytest.raises(poll.RedisRefused, match=r"permission.*evalsha") as info:
        poll.get_process_status("/acl/")
    assert "ACL" in str(info.value)
    with caplog.at_level(logging.ERROR, logger="django_rq_poll"):
        response = client().get("/sum/?x=1&y=1")
    assert problems(response, {503}) == []
    assert any("evalsha" in record.getMessage() for record in caplog.records)


def test_key_of_the_wrong_type_is_named(redis_db):
    """WRONGTYPE (another program writes our key names) inside the lookup script."""
    url = f"/wrongtype/{uuid.uuid4().hex}"
    redis_db.rpush(keys.url_key(url), "not a job id")
    with pytest.raises(poll.RedisRefused, match="PREFIX"):
        poll.get_process_status(url)
    response = client().get("/rq-poll/status/abc/")  # another id: unaffected
    assert response.status_code == 404
    page = client().get(url.replace("/wrongtype/", "/sum/?w="))
    assert page.status_code == 202
    redis_db.delete(keys.url_key(url))


def test_every_redis_error_class_is_sorted():
    """Each redis-py error maps to RedisUnavailable or RedisRefused, never passes through."""
    unavailable = [
        redis.ConnectionError("refused"),
        redis.TimeoutError("timed out"),
        redis.exceptions.BusyLoadingError("Redis is loading", status_code="LOADING"),
        redis.exceptions.OutOfMemoryError("command not allowed", status_code="OOM"),
        redis.exceptions.ReadOnlyError("read only replica", status_code="READONLY"),
        redis.exceptions.MasterDownError("link down", status_code="MASTERDOWN"),
        redis.ResponseError("BUSY Redis is busy running a script."),
        redis.ResponseError("MISCONF Redis is configured to save RDB snapshots"),
        redis.ResponseError("Command # 1 (SET a 1) of pipeline caused error: BUSY Redis is"),
    ]
    for exc in unavailable:
        mapped = errors.failure(exc, "here")
        assert type(mapped) is poll.RedisUnavailable, exc
    refused = [
        redis.exceptions.NoPermissionError("no permissions", status_code="NOPERM"),
        redis.ResponseError("WRONGTYPE Operation against a key"),
        redis.ResponseError("ERR user_script:1: Script attempted to access nonexistent global"),
        redis.exceptions.AuthenticationError("invalid password"),
        redis.exceptions.DataError("Invalid input"),
    ]
    for exc in refused:
        assert isinstance(errors.failure(exc, "here"), poll.RedisRefused), exc
