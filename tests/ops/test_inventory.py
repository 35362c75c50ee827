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


def test_processes_are_listed_newest_first_and_gone_ones_last():
    ids = [api.begin_process(tasks.add, (n, n), polling_url=f"/add/{n}/") for n in range(4)]
    job = backends.backend().fetch_job(ids[1])
    assert job is not None
    job.delete()
    assert [p.task_id for p in inventory.processes()] == [ids[3], ids[2], ids[0], ids[1]]


def test_remove_orphans_removes_unless_told_it_is_a_dry_run():
    task_id = api.begin_process(tasks.add, (3, 5), polling_url="/add/3/5/")
    job = backends.backend().fetch_job(task_id)
    assert job is not None
    job.delete()
    assert inventory.remove_orphans(dry_run=True) == (1, 1)
    assert inventory.remove_orphans() == (1, 1)
    assert inventory.remove_orphans() == (0, 0)
