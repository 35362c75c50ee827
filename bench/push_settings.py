"""bench.settings served under uvicorn for the push figures: static files (poll.js) and
``BENCH_PUSH`` (1: pages offer the event stream, 0: they poll as under WSGI)."""

from __future__ import annotations

import os

from .settings import *  # noqa: F403
from .settings import INSTALLED_APPS, RQ_QUEUES

INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.staticfiles"]
STATIC_URL = "/static/"
RQ_POLL = {"QUEUE": "default", "PUSH": os.environ.get("BENCH_PUSH", "1") == "1"}
# Jobs the async twins' figures begin and no worker takes.
RQ_QUEUES = {**RQ_QUEUES, "idle": RQ_QUEUES["default"]}
