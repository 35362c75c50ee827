"""The synchronous driver: runs the core's programs with redis-py, blocking the thread.

Each operation is sent as it comes (on the transaction's connection while keys are
watched); :class:`~django_rq_poll.core.ops.Runner` sorts every error, so this module only
sends and waits. Its async twin, :mod:`.aio`, sends the very same operations.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

import redis
from redis.client import Pipeline

from ..core.home import Home
from ..core.ops import Blocking, Command, Exec, Op, Program, Runner, Script, Unwatch, Watch

P = ParamSpec("P")
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
                pipe.multi()
                for args, options in op.commands:
                    pipe.execute_command(*args, **options)
                return pipe.execute()
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


def public(
    program: Callable[Concatenate[Home, P], Program[T]], home: Callable[[], Any]
) -> Callable[P, T]:
    """The public function of a program: ``home()`` (a backend) filled in, run here."""

    @functools.wraps(program)
    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        where = home()
        return run_on(program(where, *args, **kwargs), where)

    without_home(program, call)
    call.__module__ = "django_rq_poll.api"
    return call


def without_home(program: Callable[..., Any], call: Callable[..., Any]) -> None:
    """Give ``call`` the program's signature and annotations without its first parameter
    (which the driver fills in), returning what the program returns (``Program[T]``: T)."""
    signature = inspect.signature(program)
    home, *parameters = signature.parameters.values()
    returns: Any = program.__annotations__.get("return", inspect.Signature.empty)
    if isinstance(returns, str) and returns.startswith("Program[") and returns.endswith("]"):
        returns = returns[len("Program[") : -1]
    annotations = {k: v for k, v in program.__annotations__.items() if k != home.name}
    call.__annotations__ = {**annotations, "return": returns}
    call.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=parameters, return_annotation=returns
    )
