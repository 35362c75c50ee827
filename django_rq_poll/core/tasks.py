"""Refuse, at call time, tasks that a worker could never import."""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable
from typing import Any

from django.utils.module_loading import import_string

TaskRef = Callable[..., Any] | str

#: The rq function of a job running one of Django's tasks is this prefix and the task's
#: module path (:mod:`django_rq_poll.backends.run`).
RUNNER = "django_rq_poll.backends.run."


@functools.cache  # on every start's path: a failed import is not cheap to repeat
def task_classes() -> tuple[type[Any], ...]:
    """Django's ``Task`` classes importable here (``django.tasks``, the backport, both)."""
    found = []
    for module in ("django.tasks.base", "django_tasks.base"):
        try:
            found.append(importlib.import_module(module).Task)
        except ImportError:
            continue
    return tuple(found)


def resolve(task: object) -> TaskRef:
    """Return the task as rq should store it, or raise ``TypeError`` saying why it can't run."""
    classes = task_classes()
    if isinstance(task, classes):  # False for no classes (no Django tasks here)
        return resolve_django_task(task)
    if isinstance(task, str) and task.startswith(RUNNER):
        resolve_django_task(_django_task(task[len(RUNNER) :], classes))
        return task
    if isinstance(task, str):
        try:
            found = import_string(task)
        except ImportError as exc:
            raise TypeError(f"Task {task!r} cannot be imported: {exc}") from exc
        if not callable(found):
            raise TypeError(f"Task {task!r} names a {type(found).__name__}, not a function.")
        return task
    if not callable(task):
        raise TypeError(
            f"task_method must be a function or a dotted path to one, not {type(task).__name__}."
        )
    module = getattr(task, "__module__", None)
    qualname = getattr(task, "__qualname__", None)
    if not (inspect.isfunction(task) or inspect.ismethod(task) or inspect.isbuiltin(task)):
        raise TypeError(
            f"{task!r} is not a plain function; a worker imports tasks by name, so pass a "
            "module-level function (or its dotted path)."
        )
    if not module or not qualname:
        raise TypeError(_LAMBDA.format(what="run in a worker"))
    refuse_unnamed(task, "run in a worker")
    if inspect.ismethod(task) and not isinstance(task.__self__, type):
        raise TypeError(
            f"{qualname} is bound to a {type(task.__self__).__name__} instance, which a worker "
            "cannot import. Pass the plain function (as a class attribute, wrap it in "
            "staticmethod()), a staticmethod or a classmethod."
        )
    try:
        found = importlib.import_module(module)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError) as exc:
        raise TypeError(f"{module}.{qualname} cannot be imported by a worker: {exc}") from exc
    if found != task:
        raise TypeError(
            f"{module}.{qualname} imports as a different object than the task given "
            "(it was replaced or wrapped); pass the object the module exposes."
        )
    return task


def resolve_django_task(task: Any) -> str:
    """The rq function running one of Django's tasks (``@task``), checked importable: its
    module must expose it under its own name, as a worker will look it up."""
    refuse_unnamed(task.func, "be a task")
    try:
        found = import_string(task.module_path)
    except ImportError as exc:
        raise TypeError(f"Task {task.module_path} cannot be imported by a worker: {exc}") from exc
    if getattr(found, "func", None) is not task.func:
        raise TypeError(
            f"{task.module_path} is not the task given (a worker would find a "
            f"{type(found).__name__} there); decorate the module-level function with "
            "@task and pass that."
        )
    return RUNNER + str(task.module_path)


_LAMBDA = (
    "A lambda cannot {what}: workers import tasks by name. "
    "Define the task as a module-level function."
)


def refuse_unnamed(func: Any, what: str) -> None:
    """Raise ``TypeError`` for a function no worker can import by its name: a lambda
    (``what`` says what it cannot do), one defined inside another function, or one of
    ``__main__``."""
    module = getattr(func, "__module__", None)
    qualname = getattr(func, "__qualname__", None) or ""
    if "<lambda>" in qualname:
        raise TypeError(_LAMBDA.format(what=what))
    if "<locals>" in qualname:
        raise TypeError(
            f"{qualname} is defined inside another function, so a worker cannot import it. "
            "Move it to module level."
        )
    if module == "__main__":
        raise TypeError(
            f"{qualname} is defined in __main__, which a worker does not share. "
            "Move it into an importable module."
        )


def _django_task(path: str, classes: tuple[type[Any], ...]) -> Any:
    try:
        found = import_string(path)
    except ImportError as exc:
        raise TypeError(f"Task {path!r} cannot be imported: {exc}") from exc
    if not isinstance(found, classes):
        raise TypeError(f"{path} is a {type(found).__name__}, not one of Django's tasks.")
    return found


def queue_of(task: object) -> str | None:
    """The ``queue_name`` of one of Django's tasks (a page's ``queue`` option wins over
    it); ``None`` for a function or a dotted path."""
    classes = task_classes()
    if isinstance(task, classes):  # False for no classes (no Django tasks here)
        return str(task.queue_name) or None  # a field of every Task
    return None
