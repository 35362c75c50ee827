"""The programs of core/calls.py, run by the sync driver, where the public functions'
tests (tests/test_api.py) cannot reach: what runs once, at import."""

from __future__ import annotations

import pytest

import django_rq_poll as poll
from django_rq_poll import State
from django_rq_poll.core import calls, keys
from django_rq_poll.drivers import backends
from tests import tasks


def test_a_state_check_is_made_with_its_name_its_doc_and_its_states(url, run_jobs):
    """The public process_is_* checks are made at import by one factory: a check it
    makes here is named, documented, and true for exactly the states it was given."""
    check = calls._state_check(
        "is_waiting_or_failed", "Waits or failed.", State.PENDING, State.FAILED
    )
    assert (check.__name__, check.__qualname__, check.__doc__) == (
        "is_waiting_or_failed",
        "is_waiting_or_failed",
        "Waits or failed.",
    )
    home = backends.backend()
    task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
    assert home.run(check(home, url)) is True
    assert home.run(check(home, task_id=task_id)) is True
    run_jobs()
    assert home.run(check(home, url)) is False
    assert home.run(check(home, None, task_id)) is False
    failed = poll.begin_process(tasks.fail, ("kaput",))
    run_jobs()
    assert home.run(check(home, task_id=failed)) is True
    with pytest.raises(ValueError, match="is_waiting_or_failed"):
        home.run(check(home))


def test_forgetting_a_url_mapped_to_bytes_that_are_no_text_forgets_nothing(url, redis_db):
    """A mapping is the job's id as written; garbage in it (not UTF-8) names no job."""
    redis_db.set(keys.url_key(url), b"\xff\xfe not utf-8")
    home = backends.backend()
    assert home.run(calls.forget_process(home, url)) is False
    assert redis_db.get(keys.url_key(url)) == b"\xff\xfe not utf-8"
