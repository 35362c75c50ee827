"""Worker classes for ``rqworker --worker-class``: stock rq, only a shorter monitoring cycle.

rq's parent process refreshes its heartbeat every ``job_monitoring_interval`` seconds
(default 30) with a TTL of ``min(remaining job time, interval) + 60``. django-rq's
``rqworker`` has no option for the interval, hence this class. The 60-second grace is
rq's and is left as it is.
"""

from __future__ import annotations

from typing import Any

from rq import Worker

MONITORING_INTERVAL = 1


class QuickMonitorWorker(Worker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("job_monitoring_interval", MONITORING_INTERVAL)
        super().__init__(*args, **kwargs)
