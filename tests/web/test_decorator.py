"""web/decorator.py with views decorated inside the tests.

tests/views.py decorates its views at import, before mutmut switches a mutant on: the
sixth mutation run's 80 mutants of ``polling_view`` survived unseen. Here each view is
decorated in the test itself.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from rq.job import Job

from django_rq_poll.core import meta
from django_rq_poll.drivers import backends
from django_rq_poll.views import polling_view
from django_rq_poll.web.pages import RETRY_FIELD
from tests import tasks


def get(path: str):
    request = RequestFactory().get(path)
    request.user = AnonymousUser()
    return request


def rendered(response) -> str:
    if hasattr(response, "render"):
        response.render()
    return response.content.decode()


def test_arguments_from_the_views_own(run_jobs):
    @polling_view(tasks.add, task_args=lambda request, x: (x,), task_kwargs={"y": 10})
    def view(request, x, result):
        return HttpResponse(f"result {result}")

    assert view(get("/add/5/"), 5).status_code == 202
    run_jobs()
    answer = view(get("/add/5/"), 5)
    assert (answer.status_code, answer.content) == (200, b"result 15")


def test_a_shared_key_the_failure_status_and_a_retry(run_jobs):
    @polling_view(
        tasks.fail,
        task_args=("boom",),
        task_kwargs=lambda request: None,
        polling_url=lambda request: "/one-key/",
        vary_on_user=False,
        failure_status=200,
    )
    def view(request, result):
        return HttpResponse("never")

    assert view(get("/first/?a=1")).status_code == 202
    run_jobs()
    failed = view(get("/second/"))  # another path, the same key
    assert failed.status_code == 200
    assert "This process failed." in rendered(failed)
    retry = RequestFactory().post("/second/", {RETRY_FIELD: "1"})
    retry.user = AnonymousUser()
    answer = view(retry)
    assert (answer.status_code, answer["Location"]) == (303, "/second/")


def test_other_posts_reach_the_view():
    @polling_view(tasks.add, task_args=(1, 2))
    def view(request, result=None):
        return HttpResponse(f"posted, result {result}")

    request = RequestFactory().post("/add/", {"x": "1"})
    request.user = AnonymousUser()
    assert view(request).content == b"posted, result None"


def test_an_async_view(run_jobs):
    async def task_args(request):
        return (7, 8)

    @polling_view(tasks.add, task_args=task_args)
    async def view(request, result):
        return HttpResponse(f"async {result}")

    first = async_to_sync(view)(get("/async-add/"))
    assert first.status_code == 202
    run_jobs()
    assert async_to_sync(view)(get("/async-add/")).content == b"async 15"


def test_the_default_failure_status_is_500(run_jobs):
    @polling_view(tasks.fail, task_args=("boom",))
    def view(request, result):
        return HttpResponse("never")

    view(get("/fails/"))
    run_jobs()
    assert view(get("/fails/")).status_code == 500


def test_callables_take_the_request_and_the_views_keyword_arguments():
    @polling_view(tasks.add, task_args=lambda request, pk: (int(request.GET["x"]), pk))
    def view(request, pk, result):
        return HttpResponse("never")

    running = view(get("/items/4/?x=3"), pk=4)
    assert running.status_code == 202
    assert running.context_data["task_id"]


def user_get(path: str, user):
    request = RequestFactory().get(path)
    request.user = user

    async def auser():
        return user

    request.auser = auser
    return request


def test_a_users_key_owner_and_lifetime(alice, run_jobs, redis_db):
    """Per user by default (the key and the job's owner); a user's result is kept for
    RESULT_TTL, not a visitor's minutes."""

    @polling_view(tasks.add, task_args=(1, 2))
    def view(request, result):
        return HttpResponse("never")

    running = view(user_get("/mine/", alice)).context_data
    assert running["polling_url"] == f"/mine/#user={alice.pk}"
    job = Job.fetch(running["task_id"], connection=backends.backend().queue.connection)
    assert job.meta[meta.META_OWNER] == str(alice.pk)
    run_jobs()
    assert redis_db.ttl(f"rq:job:{running['task_id']}") > 600


def test_a_shared_view_keeps_no_user(alice):
    @polling_view(tasks.add, task_args=(1, 2), vary_on_user=False)
    def view(request, result):
        return HttpResponse("never")

    running = view(user_get("/ours/", alice)).context_data
    assert running["polling_url"] == "/ours/"
    job = Job.fetch(running["task_id"], connection=backends.backend().queue.connection)
    assert job.meta.get(meta.META_OWNER) is None


def test_an_async_view_keys_by_the_user(alice):
    @polling_view(tasks.add, task_args=(1, 2))
    async def view(request, result):
        return HttpResponse("never")

    running = async_to_sync(view)(user_get("/amine/", alice)).context_data
    assert running["polling_url"] == f"/amine/#user={alice.pk}"
