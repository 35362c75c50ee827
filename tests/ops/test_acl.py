"""How ``rqpoll doctor`` probes a Redis user that may not run ACL DRYRUN: each sample is
made the doctor's own (same key patterns, no blocking wait), and each probe leaves its
connection as it found it. The probe against real ACL users is in tests/deploy."""

from __future__ import annotations

from typing import Any

import pytest

from django_rq_poll.drivers import backends
from django_rq_poll.ops import acl

T = "rqpoll-doctor-t"


@pytest.mark.parametrize(
    ("argv", "probe"),
    [
        # the key's last part becomes the doctor's token: the same ACL pattern matches it
        (["get", "rq_poll:url:x"], ["get", f"rq_poll:url:{T}"]),
        (["set", "rq_poll:url:x", "x"], ["set", f"rq_poll:url:{T}", "x"]),
        (["zscore", "rq:wip:default", "x:y"], ["zscore", f"rq:wip:{T}", f"x:{T}"]),
        (["scan", "0", "MATCH", "rq_poll:url:*"], ["scan", "0", "MATCH", f"rq_poll:url:{T}"]),
        (["pexpire", "rq_poll:url:x", "1000"], ["pexpire", f"rq_poll:url:{T}", "1000"]),
        # a subcommand stays a word of the command, never a key
        (["client", "setname", "rq:worker:x"], ["client", "setname", f"rq:worker:{T}"]),
        (["script", "load", "return 1"], ["script", "load", "return 1"]),
        (["client", "list"], ["client", "list"]),
        # BLMOVE waits 10 ms, not rq's second
        (
            ["blmove", "rq:queue:default", "rq:intermediate:default", "LEFT", "RIGHT", "1"],
            ["blmove", f"rq:queue:{T}", f"rq:intermediate:{T}", "LEFT", "RIGHT", "0.01"],
        ),
        (["hello"], ["hello"]),
        (["publish", "rq_poll:events:x", "end"], ["publish", f"rq_poll:events:{T}", "end"]),
    ],
)
def test_a_sample_made_the_doctors_own(argv: list[str], probe: list[str]) -> None:
    assert acl._harmless(argv, T) == probe


def test_every_sample_keeps_its_command_and_touches_only_the_doctors_keys() -> None:
    for argv in acl.samples("rq_poll"):
        probe = acl._harmless(argv, T)
        words = 2 if argv[0] in ("client", "script") else 1
        assert probe[:words] == argv[:words]
        assert all(T in arg for arg in probe[words:] if ":" in arg), probe


@pytest.mark.parametrize("command", ["multi", "discard", "exec", "watch", "unwatch"])
def test_a_transaction_probe_leaves_its_connection_out_of_any_transaction(
    redis_db: Any, command: str
) -> None:
    with acl._own_connection(backends.backend()) as conn:
        acl._send(conn, acl._harmless(acl.sample(command, "rq_poll"), T))
        conn.send_command("ping")
        assert conn.read_response() == b"PONG"  # not QUEUED: no MULTI left open


def test_a_subscription_probe_reads_its_answer(redis_db: Any) -> None:
    with acl._own_connection(backends.backend()) as conn:
        for command in ("subscribe", "unsubscribe"):
            acl._send(conn, acl._harmless(acl.sample(command, "rq_poll"), T))
        conn.send_command("ping")
        assert conn.read_response() == b"PONG"  # this connection never subscribed


def test_the_setuser_line_names_the_docs_user_and_every_rule() -> None:
    line = acl.setuser_line("shop")
    head = ["ACL", "SETUSER", "site", "reset", "on", ">PASSWORD"]
    assert line.split() == [*head, *acl.rules("shop")]
    assert acl.setuser_line("shop", user="web").split()[2] == "web"
