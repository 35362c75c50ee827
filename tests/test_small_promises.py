"""Small promises of views.rst and the reference: headers of the retry and the 405,
async hooks, the documented check ids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client
from django.urls import path, re_path
from django.views import View

import django_rq_poll as poll
from django_rq_poll.views import PollingMixin, polling_view
from django_rq_poll.web.pages import RETRY_FIELD
from tests import tasks
from tests.urls import urlpatterns as site_urlpatterns
from tests.views import async_twin
from tests.web.test_views import status_of

ROOT = Path(__file__).parents[1]


class AsyncHooksView(PollingMixin, View):
    task = tasks.add

    async def get_task(self):
        return tasks.add

    async def get_task_args(self):
        count = await User.objects.acount()  # the async ORM, as the docs suggest
        return (count, int(self.request.GET["x"]))

    async def get_task_kwargs(self):
        return {}

    async def get_polling_url(self):
        return f"/async-hooks/{self.request.GET['x']}/"

    async def get_job_options(self):
        # polling_user is resolved before any hook runs, in an async view too
        return {"meta": {"from": "async hook", "user": type(self.polling_user).__name__}}

    async def get(self, request):
        return HttpResponse(f"async hooks: {self.result}")


class SyncViewAsyncHook(PollingMixin, View):
    task = tasks.add

    async def get_task_args(self):
        return (1, 2)

    def get(self, request):
        return HttpResponse("never")


_MADE = []


async def _one_and_two():
    return (1, 2)


class SyncViewCoroutineHook(PollingMixin, View):
    """A plain hook returning a coroutine, kept here to see whether the view closed it."""

    task = tasks.add

    def get_task_args(self):
        coroutine = _one_and_two()
        _MADE.append(coroutine)
        return coroutine

    def get(self, request):
        return HttpResponse("never")


class _AwaitableWithoutClose:
    """An awaitable that is no coroutine: nothing to close."""

    def __await__(self):
        return iter(())


class SyncViewAwaitableHook(PollingMixin, View):
    task = tasks.add

    def get_task_kwargs(self):
        return _AwaitableWithoutClose()

    def get(self, request):
        return HttpResponse("never")


class PositionalView(PollingMixin, View):
    """The URL's argument reaches the handler: positional from an unnamed group, a keyword
    from a named one."""

    task = tasks.add

    def get_task_args(self):
        return (int(self.kwargs.get("number") or self.args[0]), 1)

    def get(self, request, number):
        anonymous = self.polling_user.is_anonymous  # resolved by the mixin, on both sides
        return HttpResponse(f"page {number}: {self.result}, anonymous: {anonymous}")

    def post(self, request, number):
        return HttpResponse(f"posted {number}")


async def _args(request):
    return (await User.objects.acount(), 100)


async def _key(request):
    return "/async-callables/"


@polling_view(tasks.add, task_args=_args, polling_url=_key)
async def async_callables(request, result):
    return HttpResponse(f"async callables: {result}")


urlpatterns = [
    *site_urlpatterns,
    path("async-hooks/", AsyncHooksView.as_view()),
    path("sync-async-hook/", SyncViewAsyncHook.as_view()),
    path("sync-awaitable-hook/", SyncViewAwaitableHook.as_view()),
    path("sync-coroutine-hook/", SyncViewCoroutineHook.as_view()),
    path("async-callables/", async_callables),
    re_path(r"^positional/(\d+)/$", PositionalView.as_view()),
    re_path(r"^async-positional/(\d+)/$", async_twin(PositionalView).as_view()),
    path("keyword/<int:number>/", PositionalView.as_view()),
    path("async-keyword/<int:number>/", async_twin(PositionalView).as_view()),
]


def test_retry_redirect_is_not_cached_and_varies_on_htmx(client, run_jobs):
    client.get("/fail/")
    run_jobs()
    assert client.get("/fail/").status_code == 500
    retry = client.post("/fail/", {RETRY_FIELD: "1"})
    assert retry.status_code == 303
    assert "no-store" in retry["Cache-Control"]
    assert "HX-Request" in retry["Vary"]


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_status_endpoint_405_is_not_cached(client, method):
    task_id = poll.begin_process(tasks.add, (1, 2))
    response = getattr(client, method)(f"/rq-poll/status/{task_id}/")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert "no-store" in response["Cache-Control"]
    assert status_of(client, task_id).status_code == 200


@pytest.mark.urls("tests.test_small_promises")
def test_async_hooks_are_awaited(alice, run_jobs):
    browser = Client()  # runs the async view in an event loop, as an ASGI server would
    first = browser.get("/async-hooks/?x=41")
    assert first.status_code == 202
    task_id = first.context["task_id"]
    assert poll.get_taskid_from_url("/async-hooks/41/") == task_id
    job_meta = poll.get_process_snapshot(task_id=task_id).meta
    assert (job_meta["from"], job_meta["user"]) == ("async hook", "AnonymousUser")
    run_jobs()
    assert browser.get("/async-hooks/?x=41").content == b"async hooks: 42"  # 1 user + 41
    first = browser.get("/async-callables/")
    assert first.status_code == 202
    assert poll.get_taskid_from_url("/async-callables/") == first.context["task_id"]
    run_jobs()
    assert browser.get("/async-callables/").content == b"async callables: 101"


@pytest.mark.urls("tests.test_small_promises")
def test_an_async_hook_in_a_sync_view_is_refused_clearly():
    with pytest.raises(poll.ImproperlyConfigured) as caught:
        Client().get("/sync-async-hook/")
    assert str(caught.value) == (
        "SyncViewAsyncHook.get_task_args() is async, but the view is not: make its handlers "
        "(get ...) async def too, or the hook a plain def."
    )


@pytest.mark.urls("tests.test_small_promises")
def test_the_refused_async_hook_is_closed_not_left_unawaited():
    with pytest.raises(poll.ImproperlyConfigured):
        Client().get("/sync-coroutine-hook/")
    (coroutine,) = _MADE
    _MADE.clear()
    assert coroutine.cr_frame is None  # closed: no "never awaited" warning at collection


@pytest.mark.urls("tests.test_small_promises")
def test_a_hook_returning_an_awaitable_that_cannot_be_closed_is_refused_too():
    with pytest.raises(poll.ImproperlyConfigured, match=r"get_task_kwargs\(\) is async"):
        Client().get("/sync-awaitable-hook/")


def test_the_reference_lists_every_check_id():
    source = (ROOT / "django_rq_poll" / "ops" / "checks.py").read_text()
    numbers = sorted({int(n) for n in re.findall(r"^\s+(\d+),?\n\s+\)", source, re.M)})
    assert {1, 8} <= set(numbers)
    reference = (ROOT / "docs" / "reference.rst").read_text()
    for number in numbers:
        assert f"E{number:03d}``" in reference


def test_the_readme_gives_no_async_twin_that_does_not_exist():
    readme = (ROOT / "README.md").read_text()
    twins = re.search(r"`a`-prefixed", readme)
    assert twins is not None
    listed = re.findall(r"`(\w+)`", readme[: twins.start()].rsplit("## What you get", 1)[1])
    for name in listed:
        assert hasattr(poll, f"a{name}"), f"README lists {name} among functions with twins"


@pytest.mark.urls("tests.test_small_promises")
@pytest.mark.parametrize("page", ["positional", "async-positional", "keyword", "async-keyword"])
def test_a_urls_arguments_reach_the_views_handler(page, run_jobs):
    browser = Client()
    assert browser.get(f"/{page}/41/").status_code == 202
    run_jobs()
    assert browser.get(f"/{page}/41/").content == b"page 41: 42, anonymous: True"
    assert browser.post(f"/{page}/41/", {"x": "1"}).content == b"posted 41"  # not a retry


def test_the_package_says_the_version_the_changelog_is_at():
    """pyproject.toml, ``django_rq_poll.__version__`` and the changelog's newest entry agree
    (a ``.devN`` of it while that entry is unreleased): the wheel said 0.1.0 past 0.2.0."""
    import tomllib

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    newest = re.search(
        r"^(\d+\.\d+\.\d+)( \(unreleased\))?$", (ROOT / "docs" / "changelog.rst").read_text(), re.M
    )
    assert newest is not None
    assert poll.__version__ == declared
    expected = newest.group(1) + (".dev0" if newest.group(2) else "")
    assert declared == expected
