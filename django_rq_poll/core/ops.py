"""What the core asks a driver to do, and the one loop that feeds a program its replies.

Every decision of this package is a *program*: a generator that yields the operations
below and receives each one's reply, as h11 computes what to send and leaves the sending
to its caller. :mod:`django_rq_poll.drivers.sync` runs programs with redis-py,
:mod:`django_rq_poll.drivers.aio` with ``redis.asyncio``; both send the very same
operations and differ only in how they wait. A program never holds a client.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, NamedTuple, TypeVar

import redis
from redis.exceptions import NoScriptError, WatchError

from .errors import failure

T = TypeVar("T")


class Command(NamedTuple):
    """One Redis command (on the transaction's connection while keys are watched)."""

    args: tuple[Any, ...]


class Script(NamedTuple):
    """``EVALSHA`` of a script of :mod:`.scripts`; a server that forgot it is sent the
    source once (see :class:`Runner`)."""

    sha: bytes
    source: str
    args: tuple[Any, ...]


class Watch(NamedTuple):
    """Begin an optimistic transaction: WATCH these keys on a connection of its own."""

    keys: tuple[str, ...]


class Exec(NamedTuple):
    """MULTI, the commands, EXEC: the replies, or :class:`Conflict` thrown into the
    program when a watched key changed."""

    commands: list[tuple[tuple[Any, ...], dict[str, Any]]]


class Unwatch(NamedTuple):
    """End the transaction without writing anything."""


class Blocking(NamedTuple):
    """Call a function that does its own blocking I/O through rq's synchronous API (rq
    offers no other for reading a job while deleting it, say): the async driver runs it
    in a thread."""

    func: Callable[..., Any]
    args: tuple[Any, ...] = ()


Op = Command | Script | Watch | Exec | Unwatch | Blocking
#: A decision that talks to Redis: yields operations, receives their replies, returns T.
Program = Generator[Op, Any, T]


def _resendable(op: Op | None) -> bool:
    return isinstance(op, Command | Script | Watch)


class Conflict(Exception):
    """A watched key changed before EXEC: the program reads again and decides again."""


class Runner:
    """Feeds one program the replies and errors of the operations it yields.

    Drivers call :meth:`first`, then :meth:`reply` or :meth:`error` for each operation
    until :attr:`done`. Redis' errors are sorted here, once for both drivers: a lost
    WATCH race becomes :class:`Conflict`, a forgotten script is loaded and sent once
    more, anything else the package's error naming ``where`` (:func:`.errors.failure`).
    """

    __slots__ = ("_again", "_reloading", "_resent", "done", "op", "program", "result", "where")
    # Set by first(), every driver's first call, before anything reads them.
    op: Op | None
    result: Any  # read once done
    _again: bool  # the script was sent again: a second NOSCRIPT is an error
    _resent: bool  # this operation was sent again after a lost connection

    def __init__(self, program: Program[Any], where: str) -> None:
        self.program = program
        self.where = where
        self.done = False
        self._reloading: Script | None = None  # loaded now, to be sent again next

    def first(self) -> Op | None:
        return self._step(self.program.send, None)

    def resume(self, value: Any, exc: BaseException | None) -> Op | None:
        """The next operation, after the last one answered ``value`` or raised ``exc``."""
        return self.reply(value) if exc is None else self.error(exc)

    def reply(self, value: Any) -> Op | None:
        script = self._reloading
        if script is not None:
            self._reloading, self._again, self.op = None, True, script
            return script
        return self._step(self.program.send, value)

    def error(self, exc: BaseException) -> Op | None:
        op = self.op
        if isinstance(exc, NoScriptError) and isinstance(op, Script) and not self._again:
            self._reloading = op  # a restarted or flushed server forgot it
            self.op = Command(("SCRIPT", "LOAD", op.source))
            return self.op
        if isinstance(exc, WatchError) and "ConnectionError" not in str(exc):
            return self._step(self.program.throw, Conflict())
        if isinstance(exc, redis.ConnectionError) and _resendable(op) and not self._resent:
            # A pooled connection that died (Redis restarted since it was opened): redis-py
            # drops it, so the same operation goes out once more on a fresh one. Only what
            # is safe to send twice: a read, a script, starting a transaction; never EXEC.
            self._resent = True
            return op
        if isinstance(exc, OSError):  # a socket error redis-py did not wrap
            exc = redis.ConnectionError(str(exc))
        if isinstance(exc, redis.RedisError):
            sorted_ = failure(exc, self.where, op.source if isinstance(op, Script) else None)
            sorted_.__cause__ = exc
            return self._step(self.program.throw, sorted_)
        return self._step(self.program.throw, exc)

    def _step(self, move: Callable[[Any], Op], value: Any) -> Op | None:
        self._again = self._resent = False
        try:
            self.op = move(value)
        except StopIteration as stop:
            self.done, self.result, self.op = True, stop.value, None
        return self.op
