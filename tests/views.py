"""Views that put the test tasks behind pages, the way a site would."""

from __future__ import annotations

import io

import redis
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.http import FileResponse, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template import RequestContext, Template
from django.views import View
from django.views.generic import DetailView, TemplateView

from django_rq_poll.views import PollingMixin, polling_view
from django_rq_poll.web.templates import NAMES
from tests import tasks
from tests.backends import defs as task_defs


class SumView(PollingMixin, TemplateView):
    template_name = "tests/sum.html"
    task = tasks.add

    def get_task_args(self):
        return (int(self.request.GET.get("x", 1)), int(self.request.GET.get("y", 2)))


class SharedSumView(SumView):
    vary_on_user = False


class WhoseView(PollingMixin, TemplateView):
    """The result names the user the job ran for."""

    template_name = "tests/sum.html"
    task = "tests.tasks.owner_of"

    def get_task_args(self):
        user = self.request.user
        return (user.username if user.is_authenticated else "anonymous",)


class FailView(PollingMixin, TemplateView):
    template_name = "tests/sum.html"
    task = tasks.fail

    def get_task_args(self):
        return ("<b>secret</b> boom",)


class PoliteFailView(FailView):
    """A task that fails with a message meant for every visitor (TaskError)."""

    task = tasks.refuse_politely

    def get_task_args(self):
        return ("The polygon is too <small>.",)


class ProgressView(PollingMixin, TemplateView):
    template_name = "tests/sum.html"
    task = tasks.report_then_wait

    def get_task_args(self):
        return (self.request.GET["key"],)


class UserDetailView(PollingMixin, DetailView):
    model = User
    template_name = "tests/user_detail.html"
    task = tasks.add

    def get_task_args(self):
        return (self.kwargs["pk"], 100)


class PlainView(PollingMixin, View):
    task = tasks.add

    def get_task_args(self):
        return (20, 22)

    def get(self, request):
        return HttpResponse(f"plain {self.result}")


class RedirectView(PlainView):
    def get_result_response(self, result):
        return HttpResponseRedirect(f"/done/{result}/")


class JsonView(PlainView):
    def get_result_response(self, result):
        return JsonResponse({"answer": result})


class FixedKeyView(PollingMixin, View):
    """Overrides the page key to one for all visitors; the user part must still be added."""

    task = tasks.owner_of

    def get_polling_url(self):
        return "/same-for-all/"

    def get_task_args(self):
        user = self.request.user
        return (user.username if user.is_authenticated else "anonymous",)

    def get(self, request):
        return HttpResponse(self.result)


class FileView(PlainView):
    """A result answered as a file download (CSV exports, PDFs ...)."""

    def get_result_response(self, result):
        body = io.BytesIO(f"answer,{result}\n".encode())
        return FileResponse(body, as_attachment=True, filename="answer.csv")


class QuietFailView(FailView):
    failure_status = 200


class JsonQueueSumView(SumView):
    job_options = {"queue": "json"}


class AsyncView(PollingMixin, View):
    task = tasks.add

    def get_task_args(self):
        return (5, 6)

    async def get(self, request):
        return HttpResponse(f"async {self.result}")


class AsyncJsonView(AsyncView):
    async def get_result_response(self, result):
        return JsonResponse({"answer": result})


@polling_view(tasks.add, task_args=lambda request, x: (x, 1))
def plus_one(request, x, result):
    return HttpResponse(f"plus one: {result}")


@polling_view("tests.tasks.add", task_args=(7, 8), vary_on_user=False)
async def async_fifteen(request, result):
    return HttpResponse(f"fifteen: {result}")


@polling_view(tasks.fail, task_args=("quietly",), failure_status=200)
def quiet_fail(request, result):
    return HttpResponse("never")


@polling_view(
    "tests.tasks.owner_of",
    task_args=lambda request: (request.user.username,),
    polling_url=lambda request: "/same-for-everyone/",
)
def fixed_key(request, result):
    return HttpResponse(result)


def status_tag_page(request):
    """A site's own page that shows a job's status with the template tag (reads Redis)."""
    page = Template('{% load rq_poll %}<p>{% process_status "/sum/?x=1&y=2" %}</p>')
    return HttpResponse(page.render(RequestContext(request)))


class StatusTagView(TemplateView):
    """The same tag in a plain TemplateView: its template renders after the view returns,
    where an outage reaches the middleware from Django's rendering of the response."""

    template_name = "tests/status_tag.html"


def direct_redis_page(request):
    """A page that talks to Redis itself (as django-rq's dashboard does)."""
    return HttpResponse(str(redis.Redis.from_url(request.GET["url"]).dbsize()))


# -- async twins of the class-based views (tests/web/conftest.py runs pages on both sides)
HOOKS = ("get_task", "get_task_args", "get_task_kwargs", "get_polling_url", "get_job_options")


def async_twin(view: type[View]) -> type[View]:
    """The same view with async handlers and hooks, so PollingMixin takes its async path
    (the page's program awaited on redis.asyncio); the view's own code runs in a thread,
    as a site's sync code called from an async view would."""
    names = [n for n in view.http_method_names if n != "options" and hasattr(view, n)]
    attrs = {name: _awaiting(getattr(view, name)) for name in (*names, *HOOKS)}
    return type(f"Async{view.__name__}", (view,), attrs)


def _awaiting(method):
    async def call(self, *args, **kwargs):
        return await sync_to_async(method)(self, *args, **kwargs)

    call.__name__ = method.__name__
    return call


class TestSideMiddleware:
    """Serve tests/urls_async.py to requests that carry ``X-Test-Side: async``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.headers.get("X-Test-Side") == "async":
            request.urlconf = "tests.urls_async"
        return self.get_response(request)


# Django's tasks behind pages (tests/backends/test_pages.py): a @task object as the task.
class TaskSumView(SumView):
    task = task_defs.add


@polling_view(task_defs.whoami, task_args=lambda request: ("page",))
def task_whoami(request, result):
    return JsonResponse(result)


# Pages whose every polling template is tests/pages/probe.html, which prints the request
# and the documented context (tests/web/test_pages.py): a value left out, renamed, or
# given for the wrong visitor shows.
PROBE = "tests/pages/probe.html"

#: The files ProbeFileView handed to a response, to see which were released.
PROBE_OPENED: list[io.BytesIO] = []

ProbedPages = type(
    "ProbedPages", (PollingMixin,), {f"{name}_template_name": PROBE for name in NAMES}
)


class ProbeFailView(ProbedPages, TemplateView):
    template_name = "tests/sum.html"
    task = tasks.fail


class ProbeJsonQueueSumView(ProbedPages, TemplateView):
    template_name = "tests/sum.html"
    task = tasks.add
    job_options = {"queue": "json"}
    vary_on_user = False  # staff and visitors see the same job

    def get_task_args(self):
        return (1, 2)


class ProbeSumView(ProbedPages, TemplateView):
    template_name = "tests/sum.html"
    task = tasks.add

    def get_task_args(self):
        return (int(self.request.GET.get("x", 1)), 2)


class ProbeFileView(ProbedPages, TemplateView):
    task = tasks.add

    def get_task_args(self):
        return (20, 22)

    def get(self, request):
        return HttpResponse("never: the result is a file")

    def get_result_response(self, result):
        body = io.BytesIO(f"answer,{result}\n".encode())
        PROBE_OPENED.append(body)
        return FileResponse(body, as_attachment=True, filename="answer.csv")


class ProbeFixedKeyView(ProbeSumView):
    """One key for every query string, and meta of its own beside the package's."""

    job_options = {"meta": {"source": "the view"}}

    def get_polling_url(self):
        return "/one-for-all/"
