"""Every code example in the docs runs here, so the docs cannot drift from the code.

The examples live in ``docs/examples/`` as real files that the pages include with
``literalinclude``; ``docs/examples`` goes on ``sys.path`` so they import as a project
would (``myapp``), and the forking test worker inherits that path.
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "docs", "examples")
if EXAMPLES not in sys.path:
    sys.path.insert(0, EXAMPLES)

# The testing page's examples are pytest tests themselves: collect them here.
from myapp.test_views import (  # noqa: E402
    test_add_in_a_database_test,
    test_add_with_a_burst_worker,
    test_add_with_a_synchronous_queue,
    urls,
)

__all__ = [
    "test_add_in_a_database_test",
    "test_add_with_a_burst_worker",
    "test_add_with_a_synchronous_queue",
    "urls",
]


import runpy  # noqa: E402

import pytest  # noqa: E402
from django.test import Client  # noqa: E402

import django_rq_poll as poll  # noqa: E402
from django_rq_poll.checks import check_settings  # noqa: E402

SETTINGS = os.path.join(EXAMPLES, "settings.py")


def test_settings_example_passes_the_checks_and_runs_a_job(settings, run_jobs, url):
    example = runpy.run_path(SETTINGS)
    assert {"django_rq", "django_rq_poll"} <= set(example["INSTALLED_APPS"])
    settings.RQ_QUEUES = example["RQ_QUEUES"]
    settings.RQ_POLL = example["RQ_POLL"]
    assert check_settings() == []
    assert settings.RQ_QUEUES["default"]["URL"] == os.environ["REDIS_URL"]
    from myapp import tasks

    poll.begin_process(tasks.add, (1, 2), polling_url=url)
    run_jobs()
    assert poll.get_process_result(url) == 3


@pytest.mark.django_db
def test_database_test_without_commit_callbacks_never_enqueues(settings, redis_db):
    """What the testing page warns about: the transaction never commits, nothing runs."""
    settings.ROOT_URLCONF = "myapp.urls"
    assert Client().get("/add/3/5/").status_code == 202
    assert redis_db.llen("rq:queue:default") == 0


@pytest.mark.django_db
def test_database_test_with_auto_commit_mode_enqueues(settings, redis_db):
    settings.ROOT_URLCONF = "myapp.urls"
    settings.RQ = {"COMMIT_MODE": "auto"}
    assert Client().get("/add/3/5/").status_code == 202
    assert redis_db.llen("rq:queue:default") == 1


def test_example_tasks(url, run_jobs):
    from myapp import tasks

    poll.begin_process(tasks.slow_report, (3,), polling_url=url)
    run_jobs()
    assert poll.get_process_result(url) == [
        {"step": 1, "square": 1},
        {"step": 2, "square": 4},
        {"step": 3, "square": 9},
    ]
    assert poll.get_process_progress(url) == poll.Progress(3, 3, "step 3 of 3")
    poll.begin_process(tasks.explode, polling_url=url + "x")
    run_jobs()
    with pytest.raises(poll.ProcessFailed, match="survey data is missing"):
        poll.get_process_result(url + "x")


@pytest.mark.django_db(transaction=True)
def test_report_view_per_user_failure_and_retry(settings, run_jobs, monkeypatch):
    from django.contrib.auth.models import User
    from myapp import tasks

    settings.ROOT_URLCONF = "myapp.urls"
    alice, bob = Client(), Client()
    alice.force_login(User.objects.create_user("alice"))
    bob.force_login(User.objects.create_user("bob"))

    first = alice.get("/report/2/")
    assert first.status_code == 202 and first.json()["state"] == "pending"
    assert bob.get("/report/2/").status_code == 202  # a job of bob's own
    run_jobs()
    assert alice.get("/report/2/").json() == {
        "rows": [{"step": 1, "square": 1}, {"step": 2, "square": 4}]
    }
    owner = poll.get_process_progress(f"user:{User.objects.get(username='alice').pk}:/report/2/")
    assert owner == poll.Progress(2, 2, "step 2 of 2")

    monkeypatch.setattr(tasks, "slow_report", tasks.explode)  # the next run fails
    assert alice.post("/report/2/").status_code == 202  # forgotten, started again
    monkeypatch.undo()
    run_jobs()
    failed = alice.get("/report/2/")
    assert failed.status_code == 500 and b"try again" in failed.content
    assert alice.post("/report/2/").status_code == 202
    run_jobs()
    assert alice.get("/report/2/").status_code == 200
    assert alice.put("/report/2/").status_code == 405


def test_deployment_settings_build_the_clients_they_say():
    from django_rq.connection_utils import get_redis_connection
    from redis.sentinel import SentinelConnectionPool

    saved = os.environ.pop("REDIS_URL")
    try:
        example = runpy.run_path(os.path.join(EXAMPLES, "deployment_settings.py"))
    finally:
        os.environ["REDIS_URL"] = saved
    managed = get_redis_connection(example["MANAGED"]["default"]).connection_pool
    assert managed.connection_class.__name__ == "SSLConnection"
    assert managed.connection_kwargs["username"] == "reports"
    assert managed.connection_kwargs["ssl_cert_reqs"] == "required"
    with_ca = get_redis_connection(example["MANAGED_WITH_CA"]["default"]).connection_pool
    assert with_ca.connection_kwargs["ssl_ca_certs"] == "/etc/ssl/certs/redis-ca.pem"
    assert with_ca.connection_kwargs["username"] == "reports"
    sentinel = get_redis_connection(example["SENTINEL"]["default"]).connection_pool
    assert isinstance(sentinel, SentinelConnectionPool)
    assert sentinel.service_name == "reports"
    assert sentinel.connection_kwargs["username"] == "reports"


def test_deployment_settings_work_with_json_and_a_matching_worker(settings, url, run_jobs):
    example = runpy.run_path(os.path.join(EXAMPLES, "deployment_settings.py"))
    settings.RQ_QUEUES = example["RQ_QUEUES"]  # REDIS_URL points at the test Redis
    settings.RQ_POLL = example["RQ_POLL"]
    assert check_settings() == []
    from myapp import tasks

    poll.begin_process(tasks.slow_report, (1,), polling_url=url)
    run_jobs()  # the fixture's worker takes the queue's serializer, as --serializer must
    assert poll.get_process_result(url) == [{"step": 1, "square": 1}]


def test_seed_flow_example(settings, run_jobs):
    from django.test import RequestFactory

    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [os.path.join(EXAMPLES, "myapp", "templates")]}
    ]
    view = runpy.run_path(os.path.join(EXAMPLES, "seed_flow.py"))["add_view"]
    first = view(RequestFactory().get("/add/3/5/"))
    assert first.status_code == 202
    assert first.content.decode().strip() == (
        "This process has begun and will be running in the background."
    )
    assert view(RequestFactory().get("/add/3/5/")).content.decode().strip() == (
        "This process is currently running in the background."
    )
    run_jobs()
    assert view(RequestFactory().get("/add/3/5/")).content == b"8"


def test_reference_documents_every_public_name():
    with open(os.path.join(ROOT, "docs", "reference.rst"), encoding="utf-8") as f:
        reference = f.read()
    missing = [
        name
        for name in poll.__all__
        if not any(
            f".. auto{kind}:: {name}\n" in reference for kind in ("function", "class", "exception")
        )
    ]
    assert missing == []
