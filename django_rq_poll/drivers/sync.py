"""The synchronous driver: runs the core's programs with redis-py, blocking the thread.

Each operation is sent as it comes (on the transaction's connection while keys are
watched); :class:`~django_rq_poll.core.ops.Runner` sorts every error, so this module only
sends and waits. Its async twin, :mod:`.aio`, sends the very same operations.
"""

from __future__ import annotations

from typing import Any, TypeVar

import redis
from redis.client import Pipeline

from ..core.ops import Blocking, Command, Exec, Op, Program, Runner, Script, Unwatch, Watch

T = TypeVar("T")


def run(program: Program[T], client: redis.Redis, where: str) -> T:
    """Run ``program`` against ``client``; errors are the package's, naming ``where``."""
    runner = Runner(program, where)
    session = _Session(client)
    try:
        op = runner.first()
        while not runner.done:
            op = runner.resume(*(session.outcome(op)))
        return runner.result  # type: ignore[no-any-return]
    finally:
        session.close()


def in_multi(pipe: Any, op: Exec) -> Any:
    """A pipeline (redis-py's or ``redis.asyncio``'s) in MULTI with the commands queued:
    queuing sends nothing, so both drivers share it; only EXEC is sent, and waited for."""
    pipe.multi()
    for args, options in op.commands:
        pipe.execute_command(*args, **options)
    return pipe


class _Session:
    """The client, and the pipeline of the transaction under way (if any)."""

    __slots__ = ("client", "pipe")

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self.pipe: Pipeline | None = None

    def outcome(self, op: Op | None) -> tuple[Any, Exception | None]:
        try:
            return self.send(op), None
        except Exception as exc:  # sorted by the runner, thrown into the program
            return None, exc

    def send(self, op: Op | None) -> Any:
        target: Any = self.pipe if self.pipe is not None else self.client
        if isinstance(op, Script):
            return target.execute_command("EVALSHA", op.sha, *op.args)
        if isinstance(op, Command):
            return target.execute_command(*op.args)
        if isinstance(op, Watch):
            self.close()
            self.pipe = self.client.pipeline()
            return self.pipe.watch(*op.keys)  # type: ignore[no-untyped-call]
        if isinstance(op, Exec):
            pipe: Any = self.pipe if self.pipe is not None else self.client.pipeline()
            self.pipe = None
            try:
                return in_multi(pipe, op).execute()
            finally:
                pipe.reset()
        if isinstance(op, Unwatch):
            return self.close()
        if isinstance(op, Blocking):
            return op.func(*op.args)
        raise TypeError(f"not an operation: {op!r}")

    def close(self) -> None:
        if self.pipe is not None:
            self.pipe.reset()
            self.pipe = None


def run_on(program: Program[T], backend: Any) -> T:
    """Run ``program`` on a backend's client (:mod:`.backends`)."""
    return run(program, backend.connection, backend.where)
