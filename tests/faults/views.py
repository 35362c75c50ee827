"""Pages the fault tests request: the test site's own, plus one that holds its job."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import path, re_path
from django.views import View

from django_rq_poll.views import PollingMixin
from tests.faults import tasks
from tests.urls import urlpatterns as site_urlpatterns


class HoldView(PollingMixin, View):
    """Runs ``tasks.hold`` until the test sets the key named in the query string."""

    task = tasks.hold

    def get_task_args(self):
        return (self.request.GET["key"],)

    def get(self, request):
        return HttpResponse(f"held: {self.result}")


class UnreadableView(PollingMixin, View):
    """A result this process cannot read back until the test sets the key in the query."""

    task = tasks.unloadable_until

    def get_task_args(self):
        return (self.request.GET["key"],)

    def get(self, request):
        return HttpResponse(f"read: {self.result}")


class TokenIgnoringView(PollingMixin, View):
    """Its key keeps ``q`` and drops every other parameter (a reset token, say)."""

    task = "tests.tasks.add"

    def get_task_args(self):
        return (1, len(self.request.GET.get("q", "")))

    def get_polling_url(self):
        return f"{self.request.path}?q={self.request.GET.get('q', '')}"

    def get(self, request):
        return HttpResponse(f"custom: {self.result}")


class CatchAllView(PollingMixin, View):
    """Any path at all, as a catch-all route (a CMS, say) gives: its task fails."""

    task = "tests.tasks.fail"

    def get(self, request, **kwargs):  # pragma: no cover - the task always fails
        return HttpResponse("never")


urlpatterns = [
    *site_urlpatterns,
    path("faults/hold/", HoldView.as_view()),
    path("faults/unreadable/", UnreadableView.as_view()),
    path("custom/", TokenIgnoringView.as_view()),
    re_path(r"^(?P<rest>.*)$", CatchAllView.as_view()),
]
