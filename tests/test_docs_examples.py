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
from django_rq_poll.drivers import backends  # noqa: E402
from django_rq_poll.ops.checks import check_settings  # noqa: E402

SETTINGS = os.path.join(EXAMPLES, "settings.py")
TEMPLATES = os.path.join(EXAMPLES, "myapp", "templates")
OVERRIDES = os.path.join(EXAMPLES, "overrides")


@pytest.fixture(autouse=True)
def example_templates(settings):
    """Find myapp's templates as a project that installs "myapp" would (APP_DIRS)."""
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], TEMPLATES]}
    ]


def test_settings_example_passes_the_checks_and_runs_a_job(settings, run_jobs, url):
    startproject = ["django.contrib.admin", "django.contrib.auth", "django.contrib.staticfiles"]
    example = runpy.run_path(SETTINGS, init_globals={"INSTALLED_APPS": list(startproject)})
    # added to the project's own apps, never in their place (admin/ needs them)
    assert example["INSTALLED_APPS"] == [*startproject, "django_rq", "django_rq_poll", "myapp"]
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
    settings.ROOT_URLCONF = "mysite.urls"
    assert Client().get("/add/3/5/").status_code == 202
    assert redis_db.llen("rq:queue:default") == 0


@pytest.mark.django_db
def test_database_test_with_auto_commit_mode_enqueues(settings, redis_db):
    settings.ROOT_URLCONF = "mysite.urls"
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
def test_api_view_per_user_failure_and_retry(settings, run_jobs, monkeypatch):
    from django.contrib.auth.models import User
    from myapp import tasks

    settings.ROOT_URLCONF = "tests.docs_urls"
    alice, bob = Client(), Client()
    alice.force_login(User.objects.create_user("alice"))
    bob.force_login(User.objects.create_user("bob"))

    first = alice.get("/api/report/2/")
    assert first.status_code == 202 and first.json()["state"] == "pending"
    assert bob.get("/api/report/2/").status_code == 202  # a job of bob's own
    run_jobs()
    assert alice.get("/api/report/2/").json() == {
        "rows": [{"step": 1, "square": 1}, {"step": 2, "square": 4}]
    }
    alice_pk = User.objects.get(username="alice").pk
    owner = poll.get_process_progress(f"user:{alice_pk}:/api/report/2/")
    assert owner == poll.Progress(2, 2, "step 2 of 2")

    monkeypatch.setattr(tasks, "slow_report", tasks.explode)  # the next run fails
    assert alice.post("/api/report/2/").status_code == 202  # forgotten, started again
    monkeypatch.undo()
    run_jobs()
    failed = alice.get("/api/report/2/")
    assert failed.status_code == 500 and b"try again" in failed.content
    assert alice.post("/api/report/2/").status_code == 202
    run_jobs()
    assert alice.get("/api/report/2/").status_code == 200
    assert alice.put("/api/report/2/").status_code == 405


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


# -- the quick start and the "Views and templates" page -------------------------------
def test_quickstart_view_runs_then_shows_the_result(settings, run_jobs):
    settings.ROOT_URLCONF = "mysite.urls"
    client = Client()
    first = client.get("/add/3/5/")
    assert first.status_code == 202
    page = first.content.decode()
    assert "This process has begun and will be running in the background." in page
    assert f'data-rq-poll-status-url="/rq-poll/status/{first.context["task_id"]}/"' in page
    assert '<script src="/static/django_rq_poll/poll.js" defer></script>' in page
    run_jobs()
    assert client.get("/add/3/5/").content == b"<p>3 + 5 = 8</p>\n"


def broken_report(steps):
    raise RuntimeError("the survey data is missing")


@pytest.fixture
def site(settings):
    settings.ROOT_URLCONF = "tests.docs_urls"


@pytest.fixture
def users(transactional_db, site):
    from django.contrib.auth.models import User

    clients = {}
    for name in ("alice", "bob"):
        clients[name] = Client()
        clients[name].force_login(User.objects.create_user(name))
    staff = Client()
    staff.force_login(User.objects.create_user("root", is_staff=True))
    clients["staff"] = staff
    return clients


ROWS_3 = [{"step": 1, "square": 1}, {"step": 2, "square": 4}, {"step": 3, "square": 9}]


def test_report_view_per_user_with_its_running_template(users, run_jobs):
    alice, bob = users["alice"], users["bob"]
    assert Client().get("/reports/3/")["Location"] == "/accounts/login/?next=/reports/3/"
    first = alice.get("/reports/3/")
    assert first.status_code == 202
    page = first.content.decode()
    assert "<h1>Building your report</h1>" in page
    assert "You may leave this page and come back" in page
    assert "data-rq-poll-status-url=" in page  # the rest of running.html is kept
    job = backends.backend().fetch_job(first.context["task_id"])
    assert (job.timeout, job.result_ttl) == (600, 900)
    assert bob.get("/reports/3/").context["task_id"] != first.context["task_id"]
    run_jobs()
    done = alice.get("/reports/3/")
    assert done.status_code == 200 and done.context["result"] == ROWS_3
    assert "<tr><td>3</td><td>9</td></tr>" in done.content.decode()


def test_failure_page_retry_and_staff_error(users, run_jobs, monkeypatch):
    # The views first, unpatched: their classes bind tasks.slow_report when imported, and a
    # test run before any other of this file (as on an xdist worker) left them the broken one.
    import myapp.report_views  # noqa: F401
    from myapp import tasks

    alice, staff = users["alice"], users["staff"]
    monkeypatch.setattr(tasks, "slow_report", broken_report)  # the worker forks from here
    alice.get("/reports/2/")
    staff.get("/reports/2/")
    run_jobs()
    monkeypatch.undo()
    failed = alice.get("/reports/2/")
    assert failed.status_code == 500
    assert "This process failed." in failed.content.decode()
    assert "survey data is missing" not in failed.content.decode()
    assert "RuntimeError: the survey data is missing" in staff.get("/reports/2/").content.decode()
    assert alice.get("/reports/2/").status_code == 500  # GET never starts it again
    retry = alice.post("/reports/2/", {"rq_poll_retry": "1"})
    assert (retry.status_code, retry["Location"]) == (303, "/reports/2/")
    assert alice.get("/reports/2/").status_code == 202
    run_jobs()
    assert alice.get("/reports/2/").status_code == 200


def test_shared_report_is_one_job(users, run_jobs, redis_db):
    task_id = users["alice"].get("/reports/shared/3/").context["task_id"]
    assert users["bob"].get("/reports/shared/3/").context["task_id"] == task_id
    assert Client().get("/reports/shared/3/").context["task_id"] == task_id
    assert len(redis_db.keys(b"rq:job:*")) == 1


def test_query_report_key_ignores_other_parameters(users, run_jobs):
    alice, bob = users["alice"], users["bob"]
    task_id = alice.get("/reports/?steps=3").context["task_id"]
    assert alice.get("/reports/?utm_source=mail&steps=3").context["task_id"] == task_id
    assert alice.get("/reports/?steps=4").context["task_id"] != task_id
    assert bob.get("/reports/?steps=3").context["task_id"] != task_id
    run_jobs()
    assert alice.get("/reports/?steps=3&utm_source=x").context["result"] == ROWS_3


def test_result_responses_file_and_json(site, run_jobs):
    client = Client()
    assert client.get("/reports/3.csv").status_code == 202
    assert client.get("/reports/3.json").status_code == 202
    run_jobs()
    download = client.get("/reports/3.csv")
    assert download["Content-Disposition"] == 'attachment; filename="report.csv"'
    assert b"".join(download.streaming_content) == b"step,square\r\n1,1\r\n2,4\r\n3,9\r\n"
    assert client.get("/reports/3.json").json() == {"rows": ROWS_3}


def test_async_view_and_function_view(site, run_jobs):
    client = Client()
    assert client.get("/reports/async/2/").status_code == 202
    assert client.get("/reports/function/2/").status_code == 202
    run_jobs()
    assert client.get("/reports/async/2/").json() == {"steps": 2, "rows": ROWS_3[:2]}
    function = client.get("/reports/function/2/")
    assert function.status_code == 200
    assert "<tr><td>2</td><td>4</td></tr>" in function.content.decode()


def test_htmx_fragment_polls_then_stops(site, run_jobs):
    client = Client()
    page = client.get("/htmx/").content.decode()
    assert 'hx-get="/reports/htmx/3/" hx-trigger="load" hx-swap="outerHTML"' in page
    running = client.get("/reports/htmx/3/", HTTP_HX_REQUEST="true")
    assert running.status_code == 202
    assert 'hx-get="/reports/htmx/3/" hx-trigger="every 2000ms"' in running.content.decode()
    assert "<html" not in running.content.decode()
    run_jobs()
    done = client.get("/reports/htmx/3/", HTTP_HX_REQUEST="true")
    assert done.status_code == 286  # htmx 2 stops polling; no trigger left for htmx 4
    assert done.content.decode().startswith('<table class="report">')
    assert client.get("/reports/htmx/3/").content.decode().startswith("<!DOCTYPE html>")


def test_status_endpoint_answers_what_the_docs_show(site, run_jobs):
    import json

    client = Client()
    task_id = client.get("/reports/shared/3/").context["task_id"]
    status_url = f"/rq-poll/status/{task_id}/"
    for name in ("status_pending.json", "status_complete.json"):
        with open(os.path.join(EXAMPLES, name), encoding="utf-8") as f:
            assert client.get(status_url).json() == json.load(f)
        run_jobs()


def test_dashboard_template_tags(site, run_jobs):
    client = Client()
    empty = client.get("/dashboard/").content.decode()
    assert "<p></p>" in empty
    assert '<progress data-rq-poll-bar max="100"></progress>' in empty
    client.get("/reports/shared/12/")
    run_jobs()
    page = client.get("/dashboard/").content.decode()
    assert "<p>This process is complete.</p>" in page
    assert (
        "<span data-rq-poll-label>step 12 of 12</span> "
        '<progress data-rq-poll-bar max="100" value="100">100%</progress>'
    ) in page


def test_custom_running_template(site):
    from django.test import RequestFactory
    from myapp.report_views import SharedReportView

    view = SharedReportView.as_view(running_template_name="myapp/custom_running.html")
    request = RequestFactory().get("/reports/shared/5/")
    request.csp_nonce = "r4nd0m"
    response = view(request, steps=5)
    response.render()
    page = response.content.decode()
    assert response.status_code == 202
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert f'data-rq-poll-status-url="/rq-poll/status/{response.context_data["task_id"]}/"' in page
    assert '<script src="/static/django_rq_poll/poll.js" defer nonce="r4nd0m"></script>' in page
    assert '<progress data-rq-poll-bar max="100"></progress>' in page


def test_status_text_override(site, settings):
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [OVERRIDES, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    client = Client()
    client.get("/reports/shared/4/")
    page = client.get("/reports/shared/4/").content.decode()
    expected = "In the queue, number 1: your report starts soon."
    assert f'<p role="status" data-rq-poll-status>{expected}</p>' in page


def test_reference_documents_the_web_layer():
    from django_rq_poll import views
    from django_rq_poll.templatetags.rq_poll import register

    with open(os.path.join(ROOT, "docs", "reference.rst"), encoding="utf-8") as f:
        reference = f.read()
    missing = [
        name
        for name in views.__all__
        if not any(f".. auto{kind}:: {name}\n" in reference for kind in ("function", "class"))
    ]
    missing += [tag for tag in register.tags if f".. describe:: {{% {tag} " not in reference]
    assert missing == []


def test_quick_monitor_worker_example(settings):
    from quick_worker import QuickMonitorWorker

    worker = QuickMonitorWorker(
        [backends.backend().queue], connection=backends.backend().connection
    )
    assert worker.job_monitoring_interval == 5
