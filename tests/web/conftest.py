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
def side(request):
    """Which views serve the test's pages: the sync ones or their async twins."""
    return request.param


@pytest.fixture
def client(side, client):
    """pytest-django's client, or one whose pages are served by the async twins."""
    return client if side == "sync" else Client(headers={"X-Test-Side": "async"})


@pytest.fixture
def new_client(side):
    """Makes another client (another visitor) on the same side as ``client``."""

    def make(**options):
        return Client(headers={"X-Test-Side": side}, **options)

    return make
