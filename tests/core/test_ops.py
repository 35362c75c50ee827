"""The Runner, which feeds a program its replies and sorts every error for both drivers,
driven here by hand (no server): what each error becomes inside the program."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from redis.exceptions import NoScriptError

from django_rq_poll.core.ops import Blocking, Command, Exec, Program, Runner, Script, Watch
from django_rq_poll.exceptions import RedisPermissionDenied, RedisRefused, RedisUnavailable

WHERE = "127.0.0.1:6379 (db 0, queue 'default')"
SOURCE = "local a = 1\nreturn redis.call('HGET', KEYS[1], 'x')\n"
SCRIPT = Script(b"abc", SOURCE, (1, "k"))


def catching(op: Any) -> Program[Any]:
    """Yields ``op`` once; returns its reply, or the exception thrown in instead."""
    try:
        return ("reply", (yield op))
    except Exception as exc:
        return ("raised", exc)


def test_a_forgotten_script_is_loaded_and_sent_once_more() -> None:
    runner = Runner(catching(SCRIPT), WHERE)
    assert runner.first() is SCRIPT
    assert runner.error(NoScriptError("No matching script.")) == Command(("SCRIPT", "LOAD", SOURCE))
    assert runner.reply(b"abc") is SCRIPT
    assert runner.reply(b"value") is None
    assert runner.done and runner.result == ("reply", b"value")


def test_a_script_forgotten_again_right_after_loading_is_an_error() -> None:
    runner = Runner(catching(SCRIPT), WHERE)
    runner.first()
    runner.error(NoScriptError("No matching script."))
    runner.reply(b"abc")
    second = NoScriptError("No matching script.")
    assert runner.error(second) is None
    kind, exc = runner.result
    assert kind == "raised" and type(exc) is RedisRefused and exc.__cause__ is second


def test_noscript_for_a_command_is_not_a_forgotten_script() -> None:
    runner = Runner(catching(Command(("GET", "k"))), WHERE)
    runner.first()
    assert runner.error(NoScriptError("No matching script.")) is None
    kind, exc = runner.result
    assert kind == "raised" and type(exc) is RedisRefused and exc.where == WHERE


def test_a_socket_error_is_an_unreachable_server() -> None:
    runner = Runner(catching(Command(("GET", "k"))), WHERE)
    runner.first()
    runner.error(ConnectionResetError("reset by peer"))
    kind, exc = runner.result
    assert kind == "raised" and type(exc) is RedisUnavailable and exc.where == WHERE
    assert type(exc.__cause__) is redis.ConnectionError
    assert str(exc.__cause__) == "reset by peer"


def test_a_refusal_inside_a_script_is_named_from_the_scripts_source() -> None:
    refusal = redis.ResponseError(
        "The user executing the script can't run this command or subcommand script: "
        "abc, on @user_script:2."
    )
    runner = Runner(catching(SCRIPT), WHERE)
    runner.first()
    runner.error(refusal)
    kind, exc = runner.result
    assert kind == "raised" and type(exc) is RedisPermissionDenied
    assert exc.missing == "the command HGET" and exc.__cause__ is refusal


def test_an_error_that_is_not_redis_reaches_the_program_as_it_is() -> None:
    error = ValueError("from rq")
    runner = Runner(catching(Blocking(print)), WHERE)
    runner.first()
    assert runner.error(error) is None
    assert runner.done and runner.result == ("raised", error)


@pytest.mark.parametrize(
    "op", [Command(("GET", "k")), SCRIPT, Watch(("k",))], ids=["command", "script", "watch"]
)
def test_a_dropped_connection_sends_a_safe_operation_once_more(op) -> None:
    """A pooled connection that died (Redis restarted since it was opened): a read, a
    script or the start of a transaction goes out once more on a fresh connection; a
    second drop in a row is an outage."""
    runner = Runner(catching(op), WHERE)
    assert runner.first() is op
    assert runner.error(redis.ConnectionError("Connection reset by peer")) is op
    again = redis.ConnectionError("Connection refused")
    assert runner.error(again) is None
    kind, exc = runner.result
    assert kind == "raised" and type(exc) is RedisUnavailable and exc.__cause__ is again


def test_a_dropped_connection_never_sends_exec_again() -> None:
    """EXEC may have run before the connection dropped: sending it twice could write twice."""
    op = Exec([(("SET", "k", "v"), {})])
    runner = Runner(catching(op), WHERE)
    runner.first()
    assert runner.error(redis.ConnectionError("Connection reset by peer")) is None
    kind, exc = runner.result
    assert kind == "raised" and type(exc) is RedisUnavailable


def test_each_operation_may_be_sent_again_once() -> None:
    """The allowance is per operation: the next one dropped is sent again too."""

    def two_reads() -> Program[Any]:
        first = yield Command(("GET", "a"))
        second = yield Command(("GET", "b"))
        return first, second

    runner = Runner(two_reads(), WHERE)
    first = runner.first()
    assert runner.error(redis.ConnectionError("reset")) is first
    second = runner.reply(b"1")
    assert second == Command(("GET", "b"))
    assert runner.error(redis.ConnectionError("reset")) is second
    assert runner.reply(b"2") is None
    assert runner.done and runner.result == (b"1", b"2")
