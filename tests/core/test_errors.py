"""store's small promises, each checked without a server: every redis-py error sorted into
"not now" (:class:`RedisUnavailable`) or a named refusal (:class:`RedisRefused`) with the
reason and advice the docs give; where a client connects, never its password; an owner
read from meta; the limits a start is checked against. (The fault suite provokes the
same errors from real servers: these pin each branch, as the mutation run asked.)"""

from __future__ import annotations

import pytest
import redis
from redis.exceptions import WatchError

from django_rq_poll.core import errors, limits, meta
from django_rq_poll.exceptions import (
    ProcessFailed,
    QueueFull,
    RedisPermissionDenied,
    RedisRefused,
    RedisUnavailable,
    TooManyJobs,
)

WHERE = "127.0.0.1:6379 (db 0, queue 'default')"


def sorted_as(exc: redis.RedisError) -> RedisUnavailable:
    found = errors.failure(exc, WHERE)
    assert found.where == WHERE and WHERE in str(found)
    return found


@pytest.mark.parametrize(
    ("error", "code", "words"),
    [
        (redis.exceptions.OutOfMemoryError("command not allowed"), "OOM", "out of memory"),
        (redis.exceptions.ReadOnlyError("You can't write"), "READONLY", "read-only replica"),
        (redis.exceptions.BusyLoadingError("loading"), "LOADING", "loading its dataset"),
        (redis.exceptions.MasterDownError("link down"), "MASTERDOWN", "lost its master"),
        (redis.exceptions.TryAgainError("slot"), "TRYAGAIN", "slot being migrated"),
        (redis.exceptions.ClusterDownError("down"), "CLUSTERDOWN", "cluster that is down"),
        (redis.ResponseError("BUSY Redis is busy running a script."), "BUSY", "busy running"),
        (
            redis.ResponseError("Command # 2 (SET k v) of pipeline caused error: MISCONF x"),
            "MISCONF",
            "unable to persist",
        ),
        (redis.ResponseError("NOREPLICAS Not enough good replicas"), "NOREPLICAS", "replicas"),
    ],
)
def test_not_now_errors_are_unavailable_with_redis_own_code(error, code, words) -> None:
    found = sorted_as(error)
    assert type(found) is RedisUnavailable
    assert found.reason.startswith(f"{code}: the server is ")
    assert words in found.reason
    assert "Try again later; nothing was started or changed." in str(found)


@pytest.mark.parametrize(
    "error",
    [
        redis.ConnectionError("Error 111 connecting"),
        redis.TimeoutError("Timeout reading from socket"),
        WatchError("ConnectionError: the connection dropped while watching"),
    ],
)
def test_lost_connections_are_unreachable(error) -> None:
    found = sorted_as(error)
    assert type(found) is RedisUnavailable and found.reason == ""
    assert str(found).startswith(f"Redis is unreachable at {WHERE}.")


@pytest.mark.parametrize(
    ("error", "reason", "advice"),
    [
        (
            redis.AuthenticationError("invalid username-password pair"),
            "authentication failed (invalid username-password pair)",
            "Check the user name and password in RQ_QUEUES.",
        ),
        (
            redis.ResponseError("WRONGTYPE Operation against a key holding the wrong kind"),
            "a key holds another kind of value than expected "
            "(WRONGTYPE Operation against a key holding the wrong kind)",
            "Another program writes keys under the same names: give django-rq-poll its own "
            "RQ_POLL['PREFIX'] or its own Redis database.",
        ),
        (
            redis.ResponseError("ERR Error running script (call to f_abc): bad"),
            "a server-side script failed (ERR Error running script (call to f_abc): bad)",
            "Check that the server is Redis 6.2 or later with Lua scripting allowed; if it "
            "is, please report this error.",
        ),
        (  # redis-py strips the code; a wording the ACL parser does not know
            redis.exceptions.NoPermissionError("something a new version words differently"),
            "the connection's ACL user lacks a permission: "
            "something a new version words differently",
            "Grant that user the commands and keys that rq and django-rq-poll use (see the "
            "deployment docs), or connect as another user in RQ_QUEUES.",
        ),
        (
            redis.ResponseError("ERR unknown command 'FOO'"),
            "ResponseError: ERR unknown command 'FOO'",
            "Check the Redis server's log and configuration.",
        ),
        (WatchError("Watched variable changed."), None, None),
        (redis.ResponseError(""), "ResponseError: ResponseError", None),
    ],
)
def test_what_waiting_will_not_fix_is_a_refusal_that_says_what_to_do(error, reason, advice) -> None:
    found = sorted_as(error)
    assert type(found) is RedisRefused
    if reason is not None:
        assert found.reason == reason
    if advice is not None:
        assert found.advice == advice
    assert str(found) == f"Redis at {WHERE} refused a command: {found.reason}. {found.advice}"


def test_a_status_code_redis_py_attaches_counts_and_any_other_is_ignored() -> None:
    tagged = redis.ResponseError("persistence is failing")
    tagged.status_code = "MISCONF"  # type: ignore[attr-defined]
    assert sorted_as(tagged).reason.startswith("MISCONF: ")
    numbered = redis.ResponseError("BUSY Redis is busy running a script.")
    numbered.status_code = 503  # type: ignore[attr-defined]  # not a Redis code: the words decide
    assert sorted_as(numbered).reason.startswith("BUSY: ")


def test_a_refusal_inside_a_script_names_the_scripts_command() -> None:
    source = "local a = 1\nlocal b = redis.call('HGET', KEYS[1], 'x')\n"
    error = redis.ResponseError(
        "The user executing the script can't run this command or subcommand script: "
        "abc, on @user_script:2."
    )
    found = errors.failure(error, WHERE, source)
    assert type(found) is RedisPermissionDenied and found.missing == "the command HGET"


SCRIPT_REFUSAL = "The user executing the script can't {} script: abc, on @user_script:{}."
SOURCE = (
    "local a = redis.call('GET', KEYS[1])\n"
    "local b = redis.call('HGET', KEYS[2], 'x') or redis.call('LLEN', KEYS[3])\n"
    "local c = 1\n"
    "return redis.call('TYPE', KEYS[1])\n"
)


@pytest.mark.parametrize(
    ("message", "source", "missing"),
    [
        ("NOPERM this user has no permissions to access one of the keys", None, "a key"),
        (
            "NOPERM this user has no permissions to access one of the channels",
            None,
            "a channel",
        ),
        (
            SCRIPT_REFUSAL.format("access at least one of the keys", 2),
            SOURCE,
            "a key used by HGET or LLEN in a script",
        ),
        (SCRIPT_REFUSAL.format("access at least one of the keys", 2), None, "a key"),
        (SCRIPT_REFUSAL.format("run this command or subcommand", 1), SOURCE, "the command GET"),
        (
            SCRIPT_REFUSAL.format("run this command or subcommand", 2),
            SOURCE,
            "one of the commands HGET, LLEN",
        ),
        # Redis' line numbers start at 1: line 0 and one past the end name no command.
        (
            SCRIPT_REFUSAL.format("run this command or subcommand", 0),
            SOURCE,
            "a command, key or channel",
        ),
        (
            SCRIPT_REFUSAL.format("run this command or subcommand", 5),
            SOURCE,
            "a command, key or channel",
        ),
        (
            SCRIPT_REFUSAL.format("run this command or subcommand", 3),
            SOURCE,
            "a command, key or channel",
        ),
        (
            SCRIPT_REFUSAL.format("run this command or subcommand", 1),
            None,
            "a command, key or channel",
        ),
        ("ERR unknown command 'FOO'", SOURCE, None),
    ],
)
def test_a_refusal_is_described_by_what_it_refused(message, source, missing) -> None:
    error = redis.ResponseError(message)
    assert errors.describe_refusal(error, source) == missing
    denied = errors.permission_error(error, WHERE, source)
    if missing is None:
        assert denied is None
    else:
        assert type(denied) is RedisPermissionDenied
        assert (denied.where, denied.missing) == (WHERE, missing)
        assert message.splitlines()[0] in str(denied)


def test_a_refusals_detail_is_its_first_line_cut_at_300_characters() -> None:
    first = "NOPERM this user has no permissions to run the 'get' command " + "k" * 400
    denied = errors.permission_error(redis.ResponseError(first + "\nsecond line"), WHERE)
    assert denied is not None and denied.detail == first[:300]


def test_a_refused_permission_names_what_was_refused() -> None:
    error = redis.exceptions.NoPermissionError(
        "this user has no permissions to run the 'get' command"
    )
    found = sorted_as(error)
    assert type(found) is RedisPermissionDenied
    assert found.missing == "the command GET"
    assert isinstance(found, RedisRefused) and isinstance(found, RedisUnavailable)


@pytest.mark.parametrize(
    ("url", "queue", "expected"),
    [
        ("redis://127.0.0.1:6390/3", "default", "127.0.0.1:6390 (db 3, queue 'default')"),
        ("redis://:secret@example.org:7000/0", None, "example.org:7000 (db 0)"),
        ("redis://u:pw@h/5", "q", "h:6379 (db 5, queue 'q')"),
        ("unix:///run/redis.sock?db=2", "default", "/run/redis.sock (db 2, queue 'default')"),
    ],
)
def test_where_names_the_server_and_never_the_password(url, queue, expected) -> None:
    described = errors.describe(redis.Redis.from_url(url), queue)
    assert described == expected
    assert "secret" not in described and "pw" not in described


def test_where_fills_in_redis_pys_defaults() -> None:
    client = redis.Redis(connection_pool=redis.ConnectionPool(port=7000))
    assert errors.describe(client) == "localhost:7000 (db 0)"


@pytest.mark.parametrize(
    ("owner", "expected"),
    [
        (None, None),
        ("42", "42"),
        (42, "42"),
        ("x" * 256, "x" * 256),
        ("x" * 257, meta.UNREADABLE_OWNER),
        (10**64 - 1, str(10**64 - 1)),
        (10**64, meta.UNREADABLE_OWNER),
        (-(10**64), meta.UNREADABLE_OWNER),
        (True, meta.UNREADABLE_OWNER),
        (["42"], meta.UNREADABLE_OWNER),
        (4.2, meta.UNREADABLE_OWNER),
    ],
)
def test_an_owner_is_short_text_or_a_whole_number_else_nobody(owner, expected) -> None:
    job_meta = {} if owner is None else {meta.META_OWNER: owner}
    assert meta.owner_in(job_meta) == expected


def admission(active: int, queued: int) -> limits.Admission:
    return limits.Admission.parse([1, queued, 1_700_000_000, active, 1_700_000_600, b"old"])


def test_an_admission_reads_the_scripts_reply() -> None:
    seen = admission(2, 5)
    assert seen == limits.Admission(True, 5, 1_700_000_000, 2, 1_700_000_600, [b"old"])


@pytest.mark.parametrize(
    ("active", "queued", "max_active", "max_queue", "raised"),
    [
        (2, 0, 3, None, None),
        (3, 0, 3, None, TooManyJobs),
        (4, 0, 3, None, TooManyJobs),
        (99, 0, None, None, None),
        (0, 9, None, 10, None),
        (0, 10, None, 10, QueueFull),
        (3, 10, 3, 10, TooManyJobs),  # the visitor's own cap is named first
    ],
)
def test_the_limits_a_start_is_checked_against(active, queued, max_active, max_queue, raised):
    gate = limits.Limits("v", max_active, max_queue)
    if raised is None:
        admission(active, queued).check(gate, "default")
        return
    with pytest.raises(raised) as caught:
        admission(active, queued).check(gate, "default")
    assert caught.value.limit == (max_active if raised is TooManyJobs else max_queue)
    named = (
        "Visitor 'v' already has" if raised is TooManyJobs else f"Queue 'default' holds {queued}"
    )
    assert str(caught.value).startswith(named)


def test_a_sentinel_client_is_described_by_its_master_and_sentinels() -> None:
    """Built as a site's RQ_QUEUES builds it (nothing connects until a command)."""
    from redis.sentinel import Sentinel

    sentinel = Sentinel([("10.0.0.1", 26379), ("10.0.0.2", 26380)], db=3)
    client = sentinel.master_for("mymaster", db=3)
    assert errors.describe(client, "default") == (
        "master 'mymaster' via sentinel 10.0.0.1:26379, 10.0.0.2:26380 (db 3, queue 'default')"
    )


def test_a_tls_client_is_described_as_one() -> None:
    client = redis.Redis(host="127.0.0.1", port=6380, ssl=True)
    assert errors.describe(client) == f"127.0.0.1:6380 ({errors.TLS_MARK}db 0)"
    assert errors.TLS_MARK and errors.TLS_MARK not in errors.describe(redis.Redis())


def test_a_refused_permission_reads_as_a_refusal_and_says_what_to_do() -> None:
    """Code that catches RedisRefused reads ``reason`` and ``advice`` of a refused
    permission too; its text points at the deployment docs and the doctor."""
    denied = RedisPermissionDenied(WHERE, "the command HGET", "NOPERM no 'hget'")
    assert (denied.where, denied.missing, denied.detail) == (
        WHERE,
        "the command HGET",
        "NOPERM no 'hget'",
    )
    assert denied.reason == "refused the command HGET to this ACL user (NOPERM no 'hget')"
    assert denied.advice == "Grant the permissions listed in the deployment docs."
    assert str(denied) == (
        f"Redis at {WHERE} refused the command HGET to this ACL user (NOPERM no 'hget'). "
        "Grant the permissions listed in the deployment docs; `manage.py rqpoll doctor` "
        "checks them."
    )


def test_a_full_queue_says_which_queue_and_what_to_do() -> None:
    full = QueueFull("default", 12, 10)
    assert (full.queue, full.length, full.limit) == ("default", 12, 10)
    assert str(full) == (
        "Queue 'default' holds 12 waiting jobs, the limit is 10 (RQ_POLL['MAX_QUEUE_LENGTH']); "
        "nothing was started. Try again later, or add workers."
    )


def test_a_visitor_over_the_cap_is_named_with_what_to_do() -> None:
    over = TooManyJobs("user:7", 3)
    assert (over.visitor, over.limit) == ("user:7", 3)
    assert str(over) == (
        "Visitor 'user:7' already has 3 jobs queued or running (RQ_POLL['MAX_ACTIVE_JOBS']); "
        "nothing was started. Try again once one has ended."
    )


def test_an_outage_says_where_and_that_nothing_was_changed() -> None:
    down = RedisUnavailable(WHERE)
    assert (down.where, down.reason) == (WHERE, "")
    assert str(down) == (
        f"Redis is unreachable at {WHERE}. Check that redis-server is running and that "
        "RQ_QUEUES points at it; nothing was started or changed."
    )
    busy = RedisUnavailable(WHERE, "OOM: the server is out of memory")
    assert (busy.where, busy.reason) == (WHERE, "OOM: the server is out of memory")
    assert str(busy) == (
        f"Redis at {WHERE} cannot serve requests right now (OOM: the server is out of "
        "memory). Try again later; nothing was started or changed."
    )


def test_a_failure_with_no_text_at_all_still_says_it_failed() -> None:
    failed = ProcessFailed("a" * 32, "")
    assert (failed.exc_type, failed.message) == (None, "")
    assert str(failed) == "The job failed with no error text."


def test_an_exception_right_under_the_traceback_header_is_read() -> None:
    """A traceback with no frame line (the header, then the exception) names it too."""
    text = "Traceback (most recent call last):\nValueError: no frames"
    assert ProcessFailed("a" * 32, text).exc_type == "ValueError"
    assert str(ProcessFailed("a" * 32, text)) == "no frames"
