"""Every page test runs against the sync views and again against their async twins.

The twins (tests/urls_async.py) are the same class-based views with async handlers, so
PollingMixin awaits the page's program on ``redis.asyncio`` instead of running it
blocking; they answer the same paths, so the tests assert the same answers on both sides.
A difference between the two is a bug, not a style.
"""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture(params=["sync", "async"])
def client(request, client):
    """pytest-django's client, or one whose pages are served by the async twins."""
    if request.param == "sync":
        return client
    return Client(headers={"X-Test-Side": "async"})
