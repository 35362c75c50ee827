"""The Redis ACL a site's user needs, and what a refused command means.

``tests/faults/test_acl.py`` runs the whole flow (pages, a real worker started, stopped
and restarted, cancel, retry, ``rqpoll``) as a user with exactly these rules; ``rqpoll
doctor`` checks a live user against them with ``ACL DRYRUN``.
"""

from __future__ import annotations

import re

from .exceptions import RedisPermissionDenied

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


def sample(command: str, prefix: str) -> list[str]:
    """``command`` split in words, with sample arguments, as ACL DRYRUN takes it."""
    return [*command.split("|"), *(arg.replace("{p}", prefix) for arg in SAMPLES[command])]


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
