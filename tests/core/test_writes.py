"""The writes' programs where only the fault and abuse suites reached them: a job begun
inside a transaction holds its visitor's slot (writes.reserve)."""

from __future__ import annotations

import pytest
from django.db import transaction

import django_rq_poll as poll
from django_rq_poll.core import keys
from tests import tasks


@pytest.fixture
def limits(settings):
    def set_limits(**given):
        settings.RQ_POLL = {"QUEUE": "default", **given}

    return set_limits


@pytest.mark.django_db(transaction=True)
def test_a_full_queue_refuses_a_start_in_a_transaction_naming_the_queue(limits, url):
    limits(MAX_QUEUE_LENGTH=1)
    poll.begin_process(tasks.add, (1, 2))
    with pytest.raises(poll.QueueFull) as caught, transaction.atomic():
        poll.begin_process(tasks.add, (1, 2), polling_url=url, visitor="v")
    assert (caught.value.queue, caught.value.length, caught.value.limit) == ("default", 1, 1)


@pytest.mark.django_db(transaction=True)
def test_a_held_slot_keeps_the_visitors_set_as_long_as_its_latest_job(limits, url, redis_db):
    """The visitor's set lives as long as its last deadline: a slot held for a short while
    must not cut short the set that counts a longer job of the same visitor."""
    limits(MAX_ACTIVE_JOBS=5)
    poll.begin_process(tasks.add, (1, 2), polling_url=url, visitor="v", ttl=3000, timeout=3000)
    visitor = keys.visitor_key("v")
    assert redis_db.ttl(visitor) > 6000  # the job's queue lifetime and timeout
    with transaction.atomic():
        poll.begin_process(tasks.add, (1, 2), polling_url=url + "2", visitor="v")
        assert redis_db.ttl(visitor) > 6000  # not the held slot's RESERVED_SLOT


def test_a_job_on_a_synchronous_queue_without_a_url_runs_at_once(redis_db):
    task_id = poll.begin_process(tasks.add, (2, 3), queue="sync")
    assert poll.get_process_result(task_id=task_id) == 5
    assert redis_db.keys(keys.url_key_pattern()) == []


def test_a_full_queue_refuses_a_start_naming_the_queue(limits, url):
    limits(MAX_QUEUE_LENGTH=1)
    poll.begin_process(tasks.add, (1, 2))
    with pytest.raises(poll.QueueFull) as caught:
        poll.begin_process(tasks.add, (1, 2), polling_url=url, visitor="v")
    assert (caught.value.queue, caught.value.length, caught.value.limit) == ("default", 1, 1)


def test_a_short_job_keeps_the_visitors_set_as_long_as_its_longest_job(limits, url, redis_db):
    limits(MAX_ACTIVE_JOBS=5)
    poll.begin_process(tasks.add, (1, 2), polling_url=url, visitor="v", ttl=3000, timeout=3000)
    poll.begin_process(tasks.add, (1, 2), polling_url=url + "2", visitor="v", ttl=10, timeout=10)
    assert redis_db.ttl(keys.visitor_key("v")) > 6000  # the first job's, not the second's
