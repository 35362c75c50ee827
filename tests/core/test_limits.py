"""How long a visitor's job counts against its limits."""

from __future__ import annotations

import pytest

from django_rq_poll.core import limits

GRACE = limits.HEARTBEAT_GRACE


@pytest.mark.parametrize(
    ("ttl", "timeout", "retries", "lifetime"),
    [
        (100, 30, False, 130 + GRACE),
        (1, 1, False, 2 + GRACE),
        (None, 30, False, None),
        (0, 30, False, None),
        (-1, 30, False, None),
        (100, None, False, None),
        (100, 0, False, None),
        (100, -1, False, None),
        (100, 30, True, None),
    ],
)
def test_a_job_counts_while_it_can_be_queued_or_running(ttl, timeout, retries, lifetime):
    """Its queue lifetime plus its timeout (and the heartbeat grace of a killed worker);
    unbounded when either is unbounded, or when retries may run it again."""
    assert limits.active_lifetime(ttl, timeout, retries) == lifetime
