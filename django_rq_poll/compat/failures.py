"""A failed job's error as an instance of the task's own exception class, as Celery gave it.

Never by unpickling: the class is looked up by the name the stored traceback ends with,
among modules this process has already imported (and the builtins), and built from the
task's message alone. When that cannot give back the same text, the error stays a
:class:`~django_rq_poll.ProcessFailed`.
"""

from __future__ import annotations

import builtins
import contextlib
import sys
from typing import Any

from ..exceptions import ProcessFailed

# Longer than any dotted path a class is imported by (each cut of the path is looked up).
_LONGEST_NAME = 300


def rebuilt(failed: ProcessFailed) -> Exception:
    """The task's exception class built from its message, or ``failed`` itself."""
    cls = _exception_class(failed.exc_type)
    if cls is None:
        return failed
    try:
        exc = cls(failed.message)
        same = str(exc) == failed.message
    except Exception:  # a class that wants other arguments, or whose str() breaks
        return failed
    if not same:  # KeyError quotes its message, an __init__ may reword it
        return failed
    for name in ("task_id", "error"):  # for staff: which job, and its traceback
        with contextlib.suppress(AttributeError, TypeError):  # __slots__, a property
            setattr(exc, name, getattr(failed, name))
    return exc


def _exception_class(name: str | None) -> type[Exception] | None:
    """The class the dotted ``name`` names, if its module is already imported here.

    Nothing is imported on behalf of a name read from Redis: a process that raises or
    handles such an exception has its module loaded (the task's module, or the models
    that import it); any other name falls back to ``ProcessFailed``.
    """
    if not name or len(name) > _LONGEST_NAME:
        return None  # a name no class has: read from a message line made to look like one
    parts = name.split(".")
    found: Any = None
    if len(parts) == 1:
        found = getattr(builtins, name, None)
    else:
        for cut in range(len(parts) - 1, 0, -1):
            module = sys.modules.get(".".join(parts[:cut]))
            if module is None:
                continue
            found = module
            for attr in parts[cut:]:
                found = getattr(found, attr, None)
            break
    if isinstance(found, type) and issubclass(found, Exception):
        return found
    return None
