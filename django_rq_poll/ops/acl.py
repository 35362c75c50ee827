"""The Redis ACL a site's user needs: every command, key pattern and channel.

``tests/deploy/test_acl.py`` runs the whole flow (pages, the async side, a stream, a real
worker started, stopped and restarted, cancel, retry, ``rqpoll``) as a user with exactly
these rules; ``rqpoll doctor`` checks a live user against every sample below, with
``ACL DRYRUN`` where the user may run it, else by running each on keys of its own.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

import redis

from ..conf import conf
from ..drivers.backends import Backend
from .findings import Finding, text

# Each command with arguments that name keys and channels the way rq and this app do, so
# that ACL DRYRUN checks the key patterns too. ``{p}`` is RQ_POLL['PREFIX'].
SAMPLES: dict[str, tuple[str, ...]] = {
    # this app: the lookup and small scripts, listing mappings
    "evalsha": ("0" * 40, "1", "{p}:url:x"),
    "script|load": ("return 1",),
    "get": ("{p}:url:x",),
    "hmget": ("rq:job:x", "status"),
    "time": (),
    "ttl": ("{p}:url:x",),
    "pttl": ("rq:job:x",),
    "pexpire": ("{p}:url:x", "1000"),
    "zscore": ("rq:wip:default", "x:y"),
    "scan": ("0", "MATCH", "{p}:url:*"),
    # rq and redis-py: enqueue, run, finish, cancel, clean up
    "blmove": ("rq:queue:default", "rq:intermediate:default", "LEFT", "RIGHT", "1"),
    "llen": ("rq:queue:default",),
    "lmove": ("rq:queue:default", "rq:intermediate:default", "LEFT", "RIGHT"),
    "lpos": ("rq:queue:default", "x"),
    "client|setname": ("rq:worker:x",),
    "client|list": (),
    "del": ("rq:job:x",),
    "discard": (),
    "exec": (),
    "exists": ("rq:worker:x",),
    "expire": ("rq:job:x", "1"),
    "expireat": ("{p}:visitor:x", "1"),
    "hdel": ("rq:job:x", "f"),
    "hello": (),
    "hexists": ("rq:worker:x", "death"),
    "hget": ("rq:job:x", "origin"),
    "hgetall": ("rq:job:x",),
    "hincrby": ("rq:worker:x", "f", "1"),
    "hincrbyfloat": ("rq:worker:x", "f", "1"),
    "hset": ("rq:job:x", "f", "v"),
    "info": ("server",),
    "lpush": ("rq:queue:default", "x"),
    "lrange": ("rq:queue:default", "0", "-1"),
    "lrem": ("rq:queue:default", "0", "x"),
    "lset": ("rq:queue:default", "0", "x"),  # a queued job replaced in its turn
    "multi": (),
    "persist": ("rq:job:x",),
    "ping": (),
    "publish": ("rq:pubsub:x", "{}"),
    "rpush": ("rq:queue:default", "x"),
    "sadd": ("rq:workers", "x"),
    "set": ("{p}:url:x", "x"),
    "smembers": ("rq:workers",),
    "srem": ("rq:workers", "x"),
    "subscribe": ("rq:pubsub:x",),
    "unsubscribe": ("rq:pubsub:x",),
    "unwatch": (),
    "watch": ("{p}:url:x",),
    "xadd": ("rq:results:x", "*", "f", "v"),
    "xrevrange": ("rq:results:x", "+", "-"),
    "zadd": ("rq:wip:default", "1", "x"),
    "zcard": ("rq:wip:default",),
    "zrange": ("rq:wip:default", "0", "-1"),
    "zrangebyscore": ("rq:wip:default", "0", "1"),
    "zrem": ("rq:wip:default", "x"),
    "zremrangebyscore": ("rq:wip:default", "0", "1"),
}
COMMANDS = tuple(sorted(SAMPLES))


def rules(prefix: str) -> list[str]:
    """The ACL rules (after ``reset``) for a site whose ``RQ_POLL['PREFIX']`` is ``prefix``."""
    return [
        "-@all",
        *(f"+{command}" for command in COMMANDS),
        "~rq:*",
        f"~{prefix}:*",
        "&rq:pubsub:*",
        f"&{prefix}:events:*",
    ]


def setuser_line(prefix: str, user: str = "site") -> str:
    """The ``ACL SETUSER`` command an administrator runs (password left to fill in)."""
    return f"ACL SETUSER {user} reset on >PASSWORD " + " ".join(rules(prefix))


# Channels besides rq's: the events each job announces, which the streams subscribe to.
CHANNEL_SAMPLES: tuple[tuple[str, ...], ...] = (
    ("publish", "{p}:events:x", "end"),
    ("subscribe", "{p}:events:x"),
)


def sample(command: str, prefix: str) -> list[str]:
    """``command`` split in words, with sample arguments, as ACL DRYRUN takes it."""
    return [*command.split("|"), *(arg.replace("{p}", prefix) for arg in SAMPLES[command])]


def samples(prefix: str) -> list[list[str]]:
    """Every command the app and rq send, with keys and channels as they name them."""
    channels = [[*c[:1], *(a.replace("{p}", prefix) for a in c[1:])] for c in CHANNEL_SAMPLES]
    return [sample(command, prefix) for command in COMMANDS] + channels


def check(backend: Backend, where: str) -> Finding:
    """The connection's ACL user against every sample: ``rqpoll doctor``'s acl check."""
    conn: Any = backend.connection  # redis-py leaves execute_command untyped
    user = backend.connection.connection_pool.connection_kwargs.get("username") or "default"
    try:
        conn.execute_command("ACL", "DRYRUN", user, "PING")
    except redis.ResponseError as exc:
        if _refused(exc):
            return _acl_by_probing(backend, where, user)
        return Finding(
            "acl", "unknown", f"{where}: ACL DRYRUN is not available ({exc}); Redis 7 has it"
        )
    except redis.RedisError as exc:
        return Finding("acl", "unknown", f"{where}: ACL DRYRUN failed: {exc}")
    missing = []
    for argv in samples(conf.PREFIX):
        answer = conn.execute_command("ACL", "DRYRUN", user, *argv)
        if text(answer) != "OK":
            missing.append(f"{' '.join(argv[:2])} ({text(answer)})")
    if missing:
        return Finding(
            "acl",
            "problem",
            f"{where}: ACL user {user!r} lacks: {'; '.join(missing)}. "
            "`rqpoll doctor --acl` prints the rules it needs.",
        )
    return Finding("acl", "ok", f"{where}: ACL user {user!r} has every permission needed")


def _acl_by_probing(backend: Backend, where: str, user: str) -> Finding:
    """Without ACL DRYRUN (a restricted user should not have it): send every sample on
    keys and channels of the doctor's own (under the same patterns), and sort the
    answers: a refusal names what is missing, any other error is a permitted command."""
    token = f"rqpoll-doctor-{uuid.uuid4().hex}"
    refused: list[str] = []
    made: set[str] = set()
    with _own_connection(backend) as conn:
        for argv in samples(conf.PREFIX):
            probe = _harmless(argv, token)
            made.update(a for a in probe[1:] if token in a)
            try:
                _send(conn, probe)
            except redis.ResponseError as exc:  # else it ran, or failed on its arguments
                if _refused(exc):
                    refused.append(f"{' '.join(argv[:2])} ({str(exc).splitlines()[0][:120]})")
    for key in made:  # one at a time: a refused DEL leaves the others to go
        with contextlib.suppress(redis.RedisError):
            backend.connection.delete(key)
    if refused:
        return Finding(
            "acl",
            "problem",
            f"{where}: ACL user {user!r} (checked by running each command on keys of the "
            f"doctor's own, since it may not run ACL DRYRUN) lacks: {'; '.join(refused)}. "
            "`rqpoll doctor --acl` prints the rules it needs.",
        )
    return Finding(
        "acl",
        "ok",
        f"{where}: ACL user {user!r} has every permission needed (checked by running each "
        "command on keys of the doctor's own, since it may not run ACL DRYRUN)",
    )


def _refused(exc: redis.ResponseError) -> bool:
    """An ACL refusal: redis-py's NoPermissionError, or a transaction that Redis aborted
    for one (EXEC refused answers EXECABORT ... NOPERM)."""
    return isinstance(exc, redis.exceptions.NoPermissionError) or "NOPERM" in str(exc)


def _harmless(argv: list[str], token: str) -> list[str]:
    """The sample with its keys, members and channels made the doctor's own (same
    patterns, so the ACL judges them alike) and no blocking wait."""
    words = argv[: 2 if argv[0] in ("client", "script") else 1]
    out = list(words)
    for arg in argv[len(words) :]:
        out.append(f"{arg.rsplit(':', 1)[0]}:{token}" if ":" in arg else arg)
    if argv[0] == "blmove":
        out[-1] = "0.01"
    if argv[0] == "hello":
        out = ["hello"]
    return out


@contextlib.contextmanager
def _own_connection(backend: Backend) -> Iterator[Any]:
    """A connection of its own: the probes leave it subscribed, in MULTI or renamed."""
    pool: Any = backend.connection.connection_pool  # redis-py leaves connections untyped
    conn = pool.make_connection()
    conn.pool_kwargs = pool.connection_kwargs
    try:
        conn.connect()
        yield conn
    finally:
        conn.disconnect()


def _send(conn: Any, argv: list[str]) -> None:
    """One command, read to its answer; a transaction's commands are sent as one."""
    if argv[0] in ("multi", "discard", "exec", "watch", "unwatch"):
        sequences = {
            "multi": [["multi"], ["discard"]],
            "discard": [["multi"], ["discard"]],
            "exec": [["multi"], ["exec"]],
            "watch": [argv, ["unwatch"]],
            "unwatch": [["unwatch"]],
        }
        for command in sequences[argv[0]]:
            conn.send_command(*command)
            conn.read_response()
        return
    if argv[0] in ("subscribe", "unsubscribe"):  # answers that come as messages
        _pubsub(conn, argv[0], argv[1])
        return
    conn.send_command(*argv)
    conn.read_response()


def _pubsub(conn: Any, command: str, channel: str) -> None:
    pool: Any = redis.ConnectionPool(connection_class=type(conn), **conn.pool_kwargs)
    pubsub: Any = redis.Redis(connection_pool=pool).pubsub()  # type: ignore[no-untyped-call,unused-ignore]
    try:
        getattr(pubsub, command)(channel)
        # The confirmation, or the refusal raised. Read off the connection: get_message
        # would wait out its timeout and read nothing on a connection that was never
        # subscribed, so a refused UNSUBSCRIBE went unseen (and cost 2 s a run).
        pubsub.parse_response(block=False, timeout=2)
    finally:
        pubsub.close()
        pool.disconnect()
