"""Testing views that start jobs: three ways to get the queued work done."""

import django_rq
import pytest

from django_rq_poll import State, get_process_status


@pytest.fixture(autouse=True)
def urls(settings):
    settings.ROOT_URLCONF = "mysite.urls"


# 1. Run the queued jobs with a real worker in burst mode: it works through the
#    queue, then returns. SimpleWorker runs them in this process (no fork).
def test_add_with_a_burst_worker(client):
    response = client.get("/add/3/5/")
    assert response.status_code == 202  # the running page

    worker = django_rq.get_worker("default", worker_class="rq.worker.SimpleWorker")
    worker.work(burst=True)

    response = client.get("/add/3/5/")
    assert response.status_code == 200
    assert response.content == b"<p>3 + 5 = 8</p>\n"
    assert response.context["result"] == 8  # the mixin puts it in the context


# 2. Inside a database test the view runs in a transaction that never commits, so
#    django-rq (COMMIT_MODE "on_db_commit") would never enqueue. Run the commit
#    callbacks yourself, or use transaction=True, or COMMIT_MODE "auto" in tests.
@pytest.mark.django_db
def test_add_in_a_database_test(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/add/3/5/")
    assert response.status_code == 202
    assert get_process_status("/add/3/5/") is State.PENDING

    django_rq.get_worker("default", worker_class="rq.worker.SimpleWorker").work(burst=True)
    assert client.get("/add/3/5/").context["result"] == 8


# 3. A queue with "ASYNC": False runs each job at once, inside the call that
#    enqueues it: the first request starts and finishes the job.
def test_add_with_a_synchronous_queue(client, settings):
    settings.RQ_QUEUES = {"default": {**settings.RQ_QUEUES["default"], "ASYNC": False}}

    assert client.get("/add/3/5/").status_code == 202  # begun, and already done
    assert get_process_status("/add/3/5/") is State.COMPLETE
    assert client.get("/add/3/5/").context["result"] == 8
