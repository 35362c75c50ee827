"""The rows ``rqpoll`` lists, read through each mapping's job."""

from __future__ import annotations

from django_rq_poll import api
from django_rq_poll.core import keys
from django_rq_poll.drivers import backends
from django_rq_poll.ops import inventory
from tests import tasks


def test_orphan_keys_are_only_those_of_a_gone_job():
    task_id = api.begin_process(tasks.add, (3, 5), polling_url="/add/3/5/")
    assert inventory.orphan_keys(task_id) == []  # its job is there: nothing is orphaned
    job = backends.backend().fetch_job(task_id)
    assert job is not None
    job.delete()
    assert inventory.orphan_keys(task_id) == [keys.url_key("/add/3/5/")]
