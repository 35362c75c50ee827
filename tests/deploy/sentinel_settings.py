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
RQ_QUEUES = {"default": SENTINEL_QUEUE}
