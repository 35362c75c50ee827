"""Jobs begun inside a transaction, remembered per thread until the commit enqueues them."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

import django_rq_poll as poll
from django_rq_poll import State
from django_rq_poll.core import pending
from tests import tasks


@pytest.mark.django_db(transaction=True)
def test_a_thread_that_never_held_a_pending_job_remembers_its_first(url, redis_db):
    """Each request thread of a threaded server starts with nothing pending."""
    seen: dict[str, object] = {}

    def request() -> None:
        try:
            assert poll.get_process_status(url) is None
            with transaction.atomic():
                task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
                seen["state"] = poll.get_process_status(url)
                seen["same id"] = poll.get_taskid_from_url(url) == task_id
                seen["pending by id"] = poll.process_is_pending(task_id=task_id)
        finally:
            connection.close()

    thread = threading.Thread(target=request)
    thread.start()
    thread.join()
    assert seen == {"state": State.PENDING, "same id": True, "pending by id": True}
    assert redis_db.llen("rq:queue:default") == 1


@pytest.mark.django_db(transaction=True)
def test_a_committed_job_is_let_go_at_once(url, redis_db):
    """The commit enqueues the job and drops its entry there and then: a request thread
    keeps no on-commit callback (nor the plan and job it holds) until its next call."""
    with transaction.atomic():
        task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
        assert set(pending._local.entries) == {task_id}
    assert pending._local.entries == {}
    assert redis_db.lrange("rq:queue:default", 0, -1) == [task_id.encode()]
    assert poll.get_process_status(url) is State.PENDING


@pytest.mark.django_db(transaction=True)
def test_a_lookup_between_two_on_commit_enqueues_loses_neither_job(url, redis_db):
    """Django empties its list of on-commit callbacks, then runs them in order: a lookup
    made by one of them (a site's own) finds the later job's entry dead and drops it.
    That job's own callback, which drops its entry too, must still enqueue it."""
    looked_up: list[object] = []
    with transaction.atomic():
        first = poll.begin_process(tasks.add, (1, 2), polling_url=url + "&1")
        transaction.on_commit(lambda: looked_up.append(poll.get_process_status(url + "&2")))
        second = poll.begin_process(tasks.add, (1, 2), polling_url=url + "&2")
    assert len(looked_up) == 1
    assert redis_db.lrange("rq:queue:default", 0, -1) == [first.encode(), second.encode()]
    assert pending._local.entries == {}
    assert poll.get_process_status(url + "&2") is State.PENDING
