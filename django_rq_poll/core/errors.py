"""Sorting Redis' errors into the package's: the one place each kind gets its meaning.

"Not now" (unreachable, timeouts, OOM, READONLY, BUSY, LOADING ...) becomes
:class:`~django_rq_poll.RedisUnavailable`, which pages answer with a 503 and
``Retry-After``; what waiting will not fix becomes :class:`~django_rq_poll.RedisRefused`
naming the cause and what to do, :class:`~django_rq_poll.RedisPermissionDenied` for a
refused ACL permission, named from the script's own source when a script ran.
"""

from __future__ import annotations

import contextlib
import re
import ssl
from collections.abc import Iterator
from typing import Any

import redis
from redis.exceptions import WatchError

from ..exceptions import RedisPermissionDenied, RedisRefused, RedisUnavailable

# Redis' error codes that mean "not now": the same command can succeed later.
_NOT_NOW = {
    "OOM": "out of memory under maxmemory-policy noeviction",
    "READONLY": "a read-only replica, e.g. a master demoted by a failover",
    "BUSY": "busy running a script or a module command",
    "LOADING": "loading its dataset into memory",
    "MASTERDOWN": "a replica that lost its master",
    "MISCONF": "unable to persist to disk, so refusing writes",
    "NOREPLICAS": "not enough replicas for min-replicas-to-write",
    "TRYAGAIN": "a cluster slot being migrated",
    "CLUSTERDOWN": "a cluster that is down",
}
# redis-py's classes for some codes (it strips the code from the message).
_CODE_OF = (
    (redis.exceptions.OutOfMemoryError, "OOM"),
    (redis.exceptions.ReadOnlyError, "READONLY"),
    (redis.exceptions.BusyLoadingError, "LOADING"),
    (redis.exceptions.MasterDownError, "MASTERDOWN"),
    (redis.exceptions.TryAgainError, "TRYAGAIN"),
    (redis.exceptions.ClusterDownError, "CLUSTERDOWN"),
    (redis.exceptions.NoPermissionError, "NOPERM"),
)
# An error inside a pipeline is reported as "Command # 2 (SET k v) of pipeline caused
# error: BUSY ..."; the code is the first upper-case word of what the server said.
_LEADING_CODE = re.compile(r"(?:^|caused error: )([A-Z]{3,})\b")


def _error_code(exc: redis.RedisError) -> str:
    for cls, code in _CODE_OF:
        if isinstance(exc, cls):
            return code
    status = getattr(exc, "status_code", None)
    if isinstance(status, str) and status:
        return status
    found = _LEADING_CODE.search(str(exc))
    return found.group(1) if found else ""


def failure(exc: redis.RedisError, where: str, source: str | None = None) -> RedisUnavailable:
    """The package's error for any redis-py error: the one place they are sorted.

    "Not now" (unreachable, timeouts, OOM, READONLY, BUSY, LOADING, MASTERDOWN ...) is
    :class:`RedisUnavailable`; what waiting will not fix is :class:`RedisRefused`, naming
    the cause and what to do: :class:`RedisPermissionDenied` for a refused ACL permission
    (``source``, the Lua source of a script that ran, lets it name the command), a wrong
    key type, a script error.
    """
    message = str(exc).strip() or type(exc).__name__
    denied = permission_error(exc, where, source)
    if denied is not None:
        return denied
    if isinstance(exc, redis.AuthenticationError):
        return RedisRefused(
            where,
            f"authentication failed ({message})",
            "Check the user name and password in RQ_QUEUES.",
        )
    code = _error_code(exc)
    if code in _NOT_NOW:
        return RedisUnavailable(where, f"{code}: the server is {_NOT_NOW[code]}")
    if isinstance(exc, redis.ConnectionError) and _is_tls(exc):
        return RedisRefused(
            where,
            f"the TLS handshake failed ({message})",
            "Check the TLS settings of RQ_QUEUES: ssl_ca_certs (the CA that signed the "
            "server's certificate), ssl_certfile and ssl_keyfile (the client certificate "
            "a server with tls-auth-clients asks for).",
        )
    if isinstance(exc, redis.ConnectionError) and TLS_MARK in where and "reset" in message:
        # How a server with tls-auth-clients refuses a client without a certificate.
        return RedisUnavailable(
            where,
            f"the server closed the TLS connection ({message}); if it asks for client "
            "certificates (tls-auth-clients), check ssl_certfile and ssl_keyfile in RQ_QUEUES",
        )
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
        return RedisUnavailable(where)
    if isinstance(exc, WatchError) and "ConnectionError" in message:
        # redis-py's words when the connection drops while keys are watched.
        return RedisUnavailable(where)
    if code == "NOPERM":
        return RedisRefused(
            where,
            f"the connection's ACL user lacks a permission: {message}",
            "Grant that user the commands and keys that rq and django-rq-poll use "
            "(see the deployment docs), or connect as another user in RQ_QUEUES.",
        )
    if code == "WRONGTYPE":
        return RedisRefused(
            where,
            f"a key holds another kind of value than expected ({message})",
            "Another program writes keys under the same names: give django-rq-poll its "
            "own RQ_POLL['PREFIX'] or its own Redis database.",
        )
    if "script" in message.lower():
        return RedisRefused(
            where,
            f"a server-side script failed ({message})",
            "Check that the server is Redis 6.2 or later with Lua scripting allowed; "
            "if it is, please report this error.",
        )
    return RedisRefused(
        where,
        f"{type(exc).__name__}: {message}",
        "Check the Redis server's log and configuration.",
    )


# Redis' words for a refusal: at top level "NOPERM this user has no permissions to run the
# 'get' command" (or "to access one of the keys/channels ..."); inside a script "The user
# executing the script can't run this command or subcommand script: <sha>, on
# @user_script:5." (or "can't access at least one of the keys ..."), which names no command.
_REFUSED = re.compile(
    r"NOPERM|no permissions to|user executing the script can't|No permissions to", re.IGNORECASE
)
_COMMAND = re.compile(r"run the '([^']+)' command")
_OBJECT = re.compile(r"(?:access|publish to) (?:at least )?(?:one of )?the (key|channel)")
_SCRIPT_LINE = re.compile(r"@user_script:(\d+)")
_CALL = re.compile(r"redis\.call\('(\w+)'")


def _is_tls(exc: BaseException) -> bool:
    """A connection that failed in its TLS handshake (redis-py wraps ssl's errors)."""
    seen: BaseException | None = exc
    for _ in range(5):  # the error, and what it was raised from
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLError) or "[SSL" in str(seen) or "CERTIFICATE" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def permission_error(
    exc: Exception, where: str, source: str | None = None
) -> RedisPermissionDenied | None:
    """The error to raise for a Redis error that is a refused permission, else ``None``."""
    missing = describe_refusal(exc, source)
    if missing is None:
        return None
    return RedisPermissionDenied(where, missing, str(exc).splitlines()[0][:300])


def describe_refusal(exc: Exception, source: str | None = None) -> str | None:
    """What an ACL refusal refused ("the command GET", "a key used by HGET in a script"),
    or ``None`` when ``exc`` is not a refusal.

    ``source`` is the Lua source of the script that ran, if one did: Redis names only the
    script's line, and that line names the command.
    """
    text = str(exc)
    if not _REFUSED.search(text):
        return None
    command = _COMMAND.search(text)
    thing = _OBJECT.search(text)
    line = _SCRIPT_LINE.search(text)
    called: list[str] = []
    if line is not None and source is not None:
        lines = source.splitlines()
        number = int(line.group(1))
        called = _CALL.findall(lines[number - 1]) if 0 < number <= len(lines) else []
    if command is not None:
        missing = f"the command {command.group(1).upper()}"
    elif thing is not None:
        missing = f"a {thing.group(1)}"
        if called:
            missing += f" used by {' or '.join(called)} in a script"
    elif len(called) == 1:
        missing = f"the command {called[0]}"
    elif called:
        missing = f"one of the commands {', '.join(called)}"
    else:
        missing = "a command, key or channel"
    return missing


# How describe() says a client connects over TLS (failure() reads it back).
TLS_MARK = "TLS, "


def describe(connection: Any, queue_name: str | None = None) -> str:
    """Where a client connects, for error messages: never its password."""
    pool = connection.connection_pool
    kwargs = pool.connection_kwargs
    # redis-py's defaults when the URL names no host or port
    host, port = kwargs.get("host") or "localhost", kwargs.get("port") or 6379
    location = kwargs.get("path") or f"{host}:{port}"
    service = getattr(pool, "service_name", None)
    if isinstance(service, str):  # Sentinel: the master's name and who knows where it is
        sentinels = [c.connection_pool.connection_kwargs for c in pool.sentinel_manager.sentinels]
        found = ", ".join(f"{s.get('host')}:{s.get('port')}" for s in sentinels)
        location = f"master {service!r} via sentinel {found}"
    queue = f", queue {queue_name!r}" if queue_name is not None else ""
    tls = TLS_MARK if issubclass(pool.connection_class, redis.SSLConnection) else ""
    return f"{location} ({tls}db {kwargs.get('db', 0)}{queue})"


@contextlib.contextmanager
def unavailable_as(where: str) -> Iterator[None]:
    """Turn any redis-py error into the package's error naming ``where`` (see
    :func:`failure`): a refused ACL permission becomes :class:`RedisPermissionDenied`."""
    try:
        yield
    except redis.RedisError as exc:
        raise failure(exc, where) from exc
