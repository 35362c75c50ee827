"""The Redis ACL a site's user needs: every command, key pattern and channel.

``tests/deploy/test_acl.py`` runs the whole flow (pages, the async side, a stream, a real
worker started, stopped and restarted, cancel, retry, ``rqpoll``) as a user with exactly
these rules; ``rqpoll doctor`` checks a live user against every sample below, with
``ACL DRYRUN`` where the user may run it, else by running each on keys of its own.
"""

from __future__ import annotations

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
