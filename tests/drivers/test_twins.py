"""One program makes a public function and its async twin (drivers/twins.py): the
package does it at import, for every public function; these make twins afresh."""

from __future__ import annotations

import inspect

from asgiref.sync import async_to_sync

from django_rq_poll.core.home import Home
from django_rq_poll.core.ops import Command, Program
from django_rq_poll.drivers import twins


def add_to(home: Home, /, key: str, by: int = 1, *, twice: bool = False) -> Program[int]:
    """Add to a counter."""
    value = yield Command(("INCRBY", key, by))
    if twice:
        value = yield Command(("INCRBY", key, by))
    return int(value)


def plain(home: Home, /, key: str) -> dict[str, int]:  # not a Program: kept as it is
    raise NotImplementedError


def bare(home, key):  # no annotations at all
    raise NotImplementedError


def test_twins_run_the_program_on_the_default_queue_with_the_callers_arguments(redis_db):
    call, acall = twins.twins(add_to)
    assert call("n", 2) == 2
    assert call("n", by=3, twice=True) == 8
    assert async_to_sync(acall)("n", 5) == 13
    assert async_to_sync(acall)(key="n", twice=True) == 15
    assert redis_db.get("n") == b"15"


def test_twins_are_named_documented_and_placed_for_autodoc():
    call, acall = twins.twins(add_to)
    assert (call.__name__, call.__qualname__, call.__doc__) == (
        "add_to",
        "add_to",
        "Add to a counter.",
    )
    assert (acall.__name__, acall.__qualname__, acall.__doc__) == (
        "aadd_to",
        "aadd_to",
        "Async twin of :func:`add_to`, for async views.",
    )
    assert (call.__module__, acall.__module__) == ("django_rq_poll.api", "django_rq_poll.aapi")


def test_twins_carry_the_programs_signature_without_the_backend():
    call, acall = twins.twins(add_to)
    for twin in (call, acall):
        assert str(inspect.signature(twin)) == (
            "(key: 'str', by: 'int' = 1, *, twice: 'bool' = False) -> 'int'"
        )
        assert twin.__annotations__ == {
            "key": "str",
            "by": "int",
            "twice": "bool",
            "return": "int",
        }


def test_a_return_annotation_that_is_not_a_program_is_kept():
    call, _ = twins.twins(plain)
    assert str(inspect.signature(call)) == "(key: 'str') -> 'dict[str, int]'"
    assert call.__annotations__ == {"key": "str", "return": "dict[str, int]"}
    call, _ = twins.twins(bare)
    assert str(inspect.signature(call)) == "(key)"
    assert call.__annotations__ == {"return": inspect.Signature.empty}
