"""Test settings whose queues reach Redis through Sentinel, for rqworker processes.

``RQ_POLL_TEST_SENTINEL`` is ``host:port`` of the sentinel the test started.
"""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403

_host, _port = os.environ.get("RQ_POLL_TEST_SENTINEL", "127.0.0.1:26379").rsplit(":", 1)
SENTINEL_QUEUE = {
    "SENTINELS": [(_host, int(_port))],
    "MASTER_NAME": "rqpoll",
    "DB": 0,
    "SOCKET_TIMEOUT": 2,
}
# Every queue of the suite goes through the sentinel, keeping its other options: the test
# views' tasks name them all, and the TASKS backends must find them (check E030), or no
# rqworker with these settings would start.
RQ_QUEUES = {
    name: {**SENTINEL_QUEUE, **{k: v for k, v in options.items() if k != "URL"}}
    for name, options in RQ_QUEUES.items()  # noqa: F405
}
