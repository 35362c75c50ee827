"""``rqpoll doctor`` on a TASKS backend: no worker, no scheduler, both."""

from __future__ import annotations

import pytest
from rq import Worker
from rq.scheduler import RQScheduler

from django_rq_poll.drivers import backends
from django_rq_poll.ops import doctor, taskdoctor
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


@pytest.fixture
def registered_worker():
    """A worker on the 'default' queue as rq registers one (the record a started rqworker
    writes), without a process: the doctor reads only the record."""
    backend = backends.backend()
    worker = Worker([backend.queue], connection=backend.connection)
    worker.register_birth()
    yield worker
    worker.register_death()


def test_a_registered_worker_without_the_scheduler_is_a_warning(one_backend, registered_worker):
    (finding,) = tasks_findings()
    assert finding.status == "warning" and finding.queue == "default"
    assert finding.message.startswith(
        "TASKS['default'] sends tasks to the queue 'default': no worker there runs rq's "
        "scheduler, so a task with run_after"
    )
    assert "(python manage.py rqworker default --with-scheduler)" in finding.message


def test_a_registered_worker_with_the_schedulers_lock_is_ok(
    one_backend, registered_worker, redis_db
):
    redis_db.set(RQScheduler.get_locking_key("default"), "a scheduler's pid")
    (finding,) = tasks_findings()
    assert finding == doctor.Finding(
        "tasks",
        "ok",
        "TASKS['default'] sends tasks to the queue 'default': 1 worker(s), scheduler running",
        "default",
    )


def test_the_lock_of_another_queues_scheduler_does_not_count(
    one_backend, registered_worker, redis_db
):
    redis_db.set(RQScheduler.get_locking_key("other"), "a scheduler's pid")
    (finding,) = tasks_findings()
    assert finding.status == "warning"


def test_queues_left_out_are_djangos_default_queue(settings):
    settings.TASKS = {"tasks": {"BACKEND": "django_rq_poll.backends.RQBackend"}}
    (finding,) = tasks_findings()
    assert finding.queue == "default" and finding.status == "problem"
    assert finding.message == (
        "TASKS['tasks'] sends tasks to the queue 'default', where no worker listens: they "
        "wait until one starts (python manage.py rqworker default --with-scheduler)."
    )


def test_a_queue_that_runs_jobs_in_the_web_process_needs_no_worker(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_rq_poll.backends.RQBackend", "QUEUES": ["sync"]}
    }
    assert tasks_findings() == []


def test_junk_in_the_worker_set_is_a_problem_that_says_so(one_backend, redis_db):
    redis_db.sadd("rq:workers:default", b"\xff\x00")
    (finding,) = tasks_findings()
    assert finding.status == "problem" and finding.queue == "default"
    assert finding.message.startswith(
        "TASKS['default'] sends tasks to the queue 'default'; its workers cannot be listed: "
    )


def test_only_queues_configured_and_reached_are_examined():
    default = backends.backend("default")
    backend_of = taskdoctor.reachable({"default": default}, {default.identity})
    assert backend_of("default") is default
    assert backend_of("nowhere") is None
    assert taskdoctor.reachable({"default": default}, set())("default") is None
