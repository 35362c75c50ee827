"""The event stream's pieces that need no server: the ids a browser resumes from, the
Last-Event-ID it sends back, and what an event says to whom."""

from __future__ import annotations

import pytest

from django_rq_poll.core import answers
from django_rq_poll.core.meta import META_PROGRESS
from django_rq_poll.core.snapshot import Snapshot
from django_rq_poll.core.states import State
from django_rq_poll.core.wait import Wait
from django_rq_poll.ops import notices
from django_rq_poll.push import stream

QUEUED = Snapshot("abc", "queued", State.PENDING, False, meta={}, origin="default")
NO_WORKER = Wait("default", 1, 0)


def test_an_id_is_the_state_above_a_32_bit_counter_and_gone_comes_last():
    assert divmod(stream.event_id(None), 1 << 32) == (4, 0)
    done = Snapshot("abc", "finished", State.COMPLETE, False, meta={})
    assert stream.event_id(None) > stream.event_id(done)


def test_a_last_event_id_of_up_to_20_digits_is_a_resume_point():
    assert stream.parse_last_event_id("9" * 20) == int("9" * 20)
    assert stream.parse_last_event_id("9" * 21) is None


def test_only_staff_are_told_that_no_worker_listens():
    """As the status endpoint: the notice is a detail, for staff and under DEBUG."""
    notice = notices.no_worker_notice(NO_WORKER)
    assert notice is not None
    assert stream.event_data(QUEUED, NO_WORKER) == answers.status_data(QUEUED, NO_WORKER)
    assert notice not in str(stream.event_data(QUEUED, NO_WORKER))
    assert stream.event_data(QUEUED, NO_WORKER, details=True) == answers.status_data(
        QUEUED, NO_WORKER, details=True, notice=notice
    )
    assert notice in str(stream.event_data(QUEUED, NO_WORKER, details=True))


@pytest.mark.parametrize(
    ("progress", "counter"),
    [
        ({"seq": 7}, 7),
        ({"seq": 0}, 0),
        ({"seq": (1 << 32) - 1}, (1 << 32) - 1),
        ({}, 0),
        ({"seq": True}, 0),
        ({"seq": "5"}, 0),
        ({"seq": -1}, 0),
        ({"seq": 1 << 32}, 0),
        ("not a dict", 0),
    ],
)
def test_a_running_jobs_counter_is_its_progress_seq_or_0_for_anything_else(progress, counter):
    """A task's meta is the task's to write: a counter that is not a small whole number
    counts as 0 rather than break the ids' order."""
    snap = Snapshot("abc", "started", State.RUNNING, False, meta={META_PROGRESS: progress})
    assert divmod(stream.event_id(snap), 1 << 32) == (2, counter)
