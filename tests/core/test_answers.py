"""What the status endpoint and a stream's events say of a job."""

from __future__ import annotations

import django_rq_poll as poll
from django_rq_poll import State
from django_rq_poll.core import answers, texts
from django_rq_poll.core.wait import Wait
from tests import drive, tasks


def test_a_gone_job_is_done_without_a_state_or_a_failure() -> None:
    """A stream's last word for a job whose result expired or was forgotten: done (the
    page stops waiting), neither a state nor a failure, nothing to show."""
    assert answers.gone_data() == {
        "state": None,
        "done": True,
        "failed": False,
        "status": "",
        "progress": None,
    }


def snapshot_of(url: str):
    snap = drive.lookup(url, None, meta=True)
    assert snap is not None
    return snap


def test_a_queued_job_says_its_place_and_only_staff_see_the_workers_and_the_notice(url):
    poll.begin_process(tasks.add, (1, 2), polling_url=url)
    snap = snapshot_of(url)
    wait = Wait("default", 2, 1)
    expected = {
        "state": "pending",
        "done": False,
        "failed": False,
        "status": texts.waiting_text(2),
        "progress": None,
        "url": url,
        "position": 2,
        "workers": None,
        "notice": None,
    }
    assert answers.status_data(snap, wait, notice="no worker") == expected
    assert answers.status_data(snap, wait, details=True, notice="no worker") == {
        **expected,
        "workers": 1,
        "notice": "no worker",
    }
    assert answers.status_data(snap)["status"] == texts.waiting_text(None)
    assert texts.waiting_text(2) != texts.waiting_text(None)


def test_a_finished_job_says_its_state_and_its_page(url, run_jobs):
    poll.begin_process(tasks.add, (1, 2), polling_url=url + "#top")
    run_jobs()
    snap = snapshot_of(url + "#top")
    assert answers.status_data(snap) == {
        "state": "complete",
        "done": True,
        "failed": False,
        "status": texts.status_text(State.COMPLETE),
        "progress": None,
        "url": url,
        "position": None,
        "workers": None,
        "notice": None,
    }
    assert texts.status_text(State.COMPLETE) != texts.waiting_text(None)
