"""``rqpoll doctor`` on a TASKS backend: no worker, no scheduler, both."""

from __future__ import annotations

import pytest
from rq import Worker
from rq.scheduler import RQScheduler

from django_rq_poll.drivers import backends
from django_rq_poll.ops import doctor
from tests.faults.helpers import wait_until


@pytest.fixture
def one_backend(settings):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_rq_poll.backends.RQBackend",
            "QUEUES": ["default", "nowhere"],
        }
    }


def tasks_findings():
    return [f for f in doctor.examine() if f.check == "tasks"]


def test_a_tasks_backend_without_workers_is_a_problem(one_backend):
    (finding,) = tasks_findings()  # 'nowhere' is the system check's (E030), not doctor's
    assert finding.status == "problem" and finding.queue == "default"
    assert "TASKS['default'] sends tasks to the queue 'default', where no worker listens" in (
        finding.message
    )
    assert "rqworker default --with-scheduler" in finding.message


def test_workers_without_the_scheduler_are_a_warning(one_backend, rqworker):
    rqworker("default")
    wait_until(lambda: Worker.all(queue=backends.backend().queue), timeout=60)
    (finding,) = tasks_findings()
    assert finding.status == "warning" and "run_after" in finding.message


def test_a_worker_with_the_scheduler_is_ok(one_backend, rqworker, redis_db):
    rqworker("default", "--with-scheduler")
    wait_until(lambda: redis_db.exists(RQScheduler.get_locking_key("default")), timeout=60)
    (finding,) = tasks_findings()
    assert finding.status == "ok" and "1 worker(s), scheduler running" in finding.message
