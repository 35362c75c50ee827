"""Django's task framework: ``django.tasks`` (Django 6) when there, else the
``django-tasks`` backport (Django 5.2). Everything else imports it from here."""

from __future__ import annotations

from typing import Any

try:
    from django.tasks import task, task_backends
    from django.tasks.backends.base import BaseTaskBackend
    from django.tasks.base import (
        DEFAULT_TASK_PRIORITY,
        Task,
        TaskContext,
        TaskError,
        TaskResult,
        TaskResultStatus,
    )
    from django.tasks.exceptions import InvalidTask, TaskResultDoesNotExist, TaskResultMismatch
    from django.tasks.signals import task_enqueued, task_finished, task_started

    FRAMEWORK = "django.tasks"
except ImportError:  # Django 5.2: the backport
    try:
        from django_tasks import task, task_backends  # type: ignore[no-redef, assignment, unused-ignore]
        from django_tasks.backends.base import BaseTaskBackend  # type: ignore[no-redef, assignment, unused-ignore]
        from django_tasks.base import (  # type: ignore[no-redef, assignment, unused-ignore]
            DEFAULT_TASK_PRIORITY,
            Task,
            TaskContext,
            TaskError,
            TaskResult,
            TaskResultStatus,
        )
        from django_tasks.exceptions import (  # type: ignore[no-redef, assignment, unused-ignore]
            InvalidTaskError as InvalidTask,
        )
        from django_tasks.exceptions import (  # type: ignore[no-redef, assignment, unused-ignore]
            TaskResultDoesNotExist,
            TaskResultMismatch,
        )
        from django_tasks.signals import (  # type: ignore[no-redef, assignment, unused-ignore]
            task_enqueued,
            task_finished,
            task_started,
        )
    except ImportError as exc:
        raise ImportError(
            "django_rq_poll.backends.RQBackend runs Django's tasks: it needs Django 6 "
            "(django.tasks) or, on Django 5.2, the django-tasks package "
            "(pip install django-tasks)."
        ) from exc

    FRAMEWORK = "django_tasks"


def module_path(value: Any) -> str:
    """``module.qualname`` of a class or function, as Django's tasks name them."""
    return f"{value.__module__}.{value.__qualname__}"


__all__ = [
    "DEFAULT_TASK_PRIORITY",
    "FRAMEWORK",
    "BaseTaskBackend",
    "InvalidTask",
    "Task",
    "TaskContext",
    "TaskError",
    "TaskResult",
    "TaskResultDoesNotExist",
    "TaskResultMismatch",
    "TaskResultStatus",
    "module_path",
    "task",
    "task_backends",
    "task_enqueued",
    "task_finished",
    "task_started",
]
