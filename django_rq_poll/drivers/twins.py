"""Entry points: run a program on the default queue's backend, blocking or awaited, and
make a public function and its async twin out of one program."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar

from ..core.home import Home
from ..core.ops import Program
from . import aio, backends, sync

P = ParamSpec("P")
T = TypeVar("T")

Make = Callable[[backends.Backend], Program[T]]


def blocking(make: Make[T]) -> T:
    """Run the program ``make(home)`` makes for the default queue, blocking."""
    home = backends.backend()
    return sync.run_on(make(home), home)


async def awaited(make: Make[T]) -> T:
    """Run the program ``make(home)`` makes for the default queue, awaited."""
    home = backends.backend()
    return await aio.run_on(make(home), home)


def twins(
    program: Callable[Concatenate[Home, P], Program[T]],
) -> tuple[Callable[P, T], Callable[P, Coroutine[Any, Any, T]]]:
    """A public function and its async twin, both running ``program`` (its first
    parameter, the queue's backend, filled in with the default one)."""

    @functools.wraps(program)
    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        return blocking(lambda home: program(home, *args, **kwargs))

    @functools.wraps(program)
    async def acall(*args: P.args, **kwargs: P.kwargs) -> T:
        return await awaited(lambda home: program(home, *args, **kwargs))

    for twin, module in ((call, "api"), (acall, "aapi")):
        _without_home(program, twin)
        twin.__module__ = f"django_rq_poll.{module}"
    acall.__name__ = acall.__qualname__ = f"a{program.__name__}"
    acall.__doc__ = f"Async twin of :func:`{program.__name__}`, for async views."
    return call, acall


def _without_home(program: Callable[..., Any], call: Callable[..., Any]) -> None:
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
