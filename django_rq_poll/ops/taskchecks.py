"""System checks of ``TASKS`` backends that are :class:`~django_rq_poll.backends.RQBackend`.

Registered by this app (not only through the backend's ``check()``): the ``django-tasks``
backport runs backends' checks only when its own app is installed.
Ids ``django_rq_poll.E030``-``E032``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error

from ..exceptions import ImproperlyConfigured

BACKEND = "django_rq_poll.backends.RQBackend"


def ours() -> dict[str, dict[str, Any]]:
    """The ``TASKS`` entries that use this package's backend, by alias."""
    tasks = getattr(settings, "TASKS", None)
    if not isinstance(tasks, dict):
        return {}
    return {
        alias: params
        for alias, params in tasks.items()
        if isinstance(params, dict) and params.get("BACKEND") == BACKEND
    }


def check_task_backends(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    entries = ours()
    if not entries:
        return []
    try:
        from ..backends import job_options
    except ImportError as exc:
        return [
            Error(
                str(exc),
                hint="Install django-tasks, or move to Django 6.",
                id="django_rq_poll.E032",
            )
        ]
    queues = getattr(settings, "RQ_QUEUES", None)
    errors: list[CheckMessage] = []
    for alias, params in entries.items():
        for name in params.get("QUEUES", ["default"]):
            # No RQ_QUEUES at all is E003's to say (once, not once per task queue).
            if isinstance(queues, dict) and queues and name not in queues:
                errors.append(
                    Error(
                        f"TASKS[{alias!r}]['QUEUES'] names the queue {name!r}, which is not "
                        "in RQ_QUEUES: tasks sent there could never be enqueued.",
                        hint=f"Add {name!r} to RQ_QUEUES, or remove it from QUEUES "
                        f"(RQ_QUEUES has {', '.join(sorted(queues))}).",
                        id="django_rq_poll.E030",
                    )
                )
        try:
            job_options(alias, params.get("OPTIONS") or {})
        except ImproperlyConfigured as exc:
            errors.append(
                Error(str(exc), hint="Fix or remove that option.", id="django_rq_poll.E031")
            )
    return errors
