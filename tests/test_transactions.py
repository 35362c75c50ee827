"""Jobs begun inside ``transaction.atomic()``: django-rq enqueues them on commit.

Only sync callers hold a database transaction (async code reaches the database through a
thread of its own), so these tests run the sync functions; an async twin called from code
inside a transaction starts its job at once, as the last test shows.
"""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.db import transaction

import django_rq_poll as poll
from django_rq_poll import State
from tests import tasks
from tests.redis_server import written
from tests.test_api import job_count


class TestTransactions:
    @pytest.mark.django_db(transaction=True)
    def test_begin_inside_atomic_waits_for_commit(self, url, redis_db):
        with transaction.atomic():
            task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
            assert job_count(redis_db) == 0
            assert poll.process_is_pending(url)
            assert poll.get_taskid_from_url(url) == task_id
            assert poll.process_is_pending(task_id=task_id)
            again = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
            assert again.task_id == task_id and not again.started
        assert job_count(redis_db) == 1
        assert poll.get_taskid_from_url(url) == task_id
        assert poll.process_is_pending(task_id=task_id)

    @pytest.mark.django_db(transaction=True)
    def test_rollback_leaves_nothing(self, url, redis_db):
        task_ids: list[str] = []
        with pytest.raises(ZeroDivisionError), transaction.atomic():  # noqa: PT012
            task_ids.append(poll.begin_process(tasks.add, (1, 2), polling_url=url))
            raise ZeroDivisionError
        assert written(redis_db) == []
        assert poll.get_process_status(task_id=task_ids[0]) is None
        assert poll.get_taskid_from_url(url) is None

    @pytest.mark.django_db(transaction=True)
    def test_rollback_is_forgotten_by_the_next_transaction(self, url, redis_db):
        # ATOMIC_REQUESTS: a view that raised must not leave the next request on this
        # thread believing its job is pending.
        with pytest.raises(ZeroDivisionError), transaction.atomic():  # noqa: PT012
            poll.begin_process(tasks.add, (1, 2), polling_url=url)
            raise ZeroDivisionError
        with transaction.atomic():
            assert poll.get_process_status(url) is None
            assert poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url).started
        assert job_count(redis_db) == 1

    @pytest.mark.django_db(transaction=True)
    def test_savepoint_rollback_drops_the_pending_job(self, url, redis_db):
        with transaction.atomic():
            with pytest.raises(ZeroDivisionError), transaction.atomic():  # noqa: PT012
                poll.begin_process(tasks.add, (1, 2), polling_url=url)
                raise ZeroDivisionError
            assert poll.get_process_status(url) is None
        assert job_count(redis_db) == 0

    @pytest.mark.django_db(transaction=True)
    def test_a_job_begun_in_a_transaction(self, url, redis_db, run_jobs):
        """Seen as queued by the thread that began it, by URL and by id; enqueued on
        commit, and from then on read from Redis like any job."""
        with transaction.atomic():
            task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
            found = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
            other = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url + "other")
            assert job_count(redis_db) == 0  # nothing before the commit
            assert (found.task_id, found.started) == (task_id, False)
            assert other.started and other.state is State.PENDING
            assert poll.get_process_status(task_id=task_id) is State.PENDING
            snap = poll.get_process_snapshot(url)
            assert (snap.task_id, snap.rq_status, snap.abandoned) == (task_id, "queued", False)
        assert job_count(redis_db) == 2
        run_jobs()
        assert poll.get_process_status(url) is State.COMPLETE
        assert poll.get_process_result(task_id=task_id) == 3

    @pytest.mark.django_db(transaction=True)
    def test_an_async_twin_starts_at_once(self, url, redis_db):
        with transaction.atomic():
            task_id = async_to_sync(poll.abegin_process)(tasks.add, (1, 2), polling_url=url)
            assert job_count(redis_db) == 1
        assert poll.get_taskid_from_url(url) == task_id
