from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class RQPollConfig(AppConfig):
    name = "django_rq_poll"
    verbose_name = "RQ polling"

    def ready(self) -> None:
        from .ops.checks import check_apps, check_settings, check_urls
        from .ops.taskchecks import check_task_backends

        checks.register(check_settings)
        checks.register(check_apps)
        checks.register(check_urls, checks.Tags.urls)
        checks.register(check_task_backends)
