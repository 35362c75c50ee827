"""Pages the fault tests request: the test site's own, plus one that holds its job."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import path
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


urlpatterns = [
    *site_urlpatterns,
    path("faults/hold/", HoldView.as_view()),
    path("faults/unreadable/", UnreadableView.as_view()),
]
