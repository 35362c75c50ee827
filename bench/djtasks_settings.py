"""bench.settings with two ``TASKS`` backends on the same queue: this package's and
django-tasks-rq's (``python -m bench.djtasks``)."""

from __future__ import annotations

from .settings import *  # noqa: F403

TASKS = {
    "default": {"BACKEND": "django_rq_poll.backends.RQBackend", "QUEUES": ["default"]},
    "tasks_rq": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]},
}
