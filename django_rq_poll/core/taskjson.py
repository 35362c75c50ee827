"""JSON, as Django's tasks require of their arguments and return values: a value comes
back as JSON gives it (tuples become lists, keys strings), and one JSON cannot carry is
named in the error."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any


def as_json(value: Any, where: str) -> Any:
    """``value`` as JSON gives it back (tuples become lists, keys strings), or a
    ``TypeError`` naming ``where`` and the offending type."""
    try:
        return json.loads(json.dumps(value, allow_nan=True, default=_refuse))
    except _NotJSON as exc:
        raise TypeError(
            f"{where} holds a {exc.args[0]}, which JSON cannot carry: a task's arguments "
            "and return value must be JSON values (str, int, float, bool, None, and lists "
            "and dicts of them)."
        ) from None
    except (TypeError, ValueError) as exc:  # e.g. keys that are not strings or numbers
        raise TypeError(f"{where} cannot be written as JSON: {exc}.") from None


class _NotJSON(Exception):
    pass


def _refuse(value: Any) -> Any:
    # What Django's normalize_json accepts besides JSON's own types: other sequences,
    # and bytes that are UTF-8 text.
    if isinstance(value, bytes):
        try:
            return value.decode()
        except UnicodeDecodeError:
            raise _NotJSON("bytes value that is not UTF-8 text") from None
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    raise _NotJSON(type(value).__qualname__)


def json_arguments(
    name: str, args: Sequence[Any], kwargs: Mapping[str, Any]
) -> tuple[list[Any], dict[str, Any]]:
    """The arguments as the worker will see them, or a ``TypeError`` naming the first that
    JSON cannot carry."""
    return (
        [as_json(value, f"Argument {i} of task {name}") for i, value in enumerate(args)],
        {key: as_json(value, f"Argument {key}= of task {name}") for key, value in kwargs.items()},
    )
