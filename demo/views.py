"""The demo's pages. Slow ones put their work behind :class:`PollingMixin`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import LoginView
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.dates import MONTHS_3
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from django_rq_poll.ops import inventory
from django_rq_poll.views import PollingMixin

from . import charts, tasks

REGIONS = ("north", "south", "east", "west")
REGION_NAMES = {"north": _("North"), "south": _("South"), "east": _("East"), "west": _("West")}
# The states' labels on /processes/ (their names stay in the CSS classes).
STATE_LABELS = {
    "pending": _("pending"),
    "running": _("running"),
    "complete": _("complete"),
    "failed": _("failed"),
    "canceled": _("canceled"),
    "gone": _("gone"),
}


class AddView(PollingMixin, TemplateView):
    """The seed's /add/3/5/: one result for everybody, computed once."""

    template_name = "demo/add.html"
    task = tasks.add
    vary_on_user = False

    def get_task_args(self) -> tuple[Any, ...]:
        return (self.kwargs["x"], self.kwargs["y"])


class ReportView(PollingMixin, TemplateView):
    """A slow report with progress; its result is data, drawn here as a table and a chart."""

    template_name = "demo/report.html"
    task = tasks.sales_report
    vary_on_user = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if kwargs["region"] not in REGIONS:
            raise Http404(f"No report for {kwargs['region']!r}; try one of {', '.join(REGIONS)}.")
        return super().dispatch(request, *args, **kwargs)

    def get_task_args(self) -> tuple[Any, ...]:
        return (self.kwargs["region"],)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["regions"] = [(region, REGION_NAMES[region]) for region in REGIONS]
        context["region_name"] = REGION_NAMES[self.kwargs["region"]]
        result = context.get("result")
        if isinstance(result, dict):
            # The worker stores English month names; the page shows the visitor's.
            rows = [{**row, "month": _month_name(row["month"])} for row in result["rows"]]
            title = gettext("Monthly sales, costs and profit, %(region)s region") % {
                "region": context["region_name"]
            }
            context["rows"] = rows
            context["chart"] = charts.sales_chart(rows, title)
        return context


def _month_name(english: str) -> str:
    """Django's own translated short month name ("Mär" in German) for tasks.MONTHS'."""
    try:
        return str(MONTHS_3[tasks.MONTHS.index(english) + 1]).title()
    except ValueError:
        return english


class FlakyView(PollingMixin, TemplateView):
    """Its task always fails: the failure page offers to try again."""

    template_name = "demo/flaky.html"
    task = tasks.flaky_forecast
    vary_on_user = False


class MineView(LoginRequiredMixin, PollingMixin, TemplateView):
    """Per-user results: the polling key includes the user, so nobody sees another's."""

    template_name = "demo/mine.html"
    task = tasks.lucky_numbers

    def get_task_args(self) -> tuple[Any, ...]:
        return (self.request.user.get_username(),)


class DemoLoginView(LoginView):
    extra_context = {"demo_users": settings.DEMO_USERS}


def processes(request: HttpRequest) -> HttpResponse:
    """Recent polling URLs with their jobs and states (staff see everybody's)."""
    rows = []
    for process in inventory.processes():
        if not _may_see(request, process):
            continue
        name = process.state.value if process.state is not None else "gone"
        rows.append(
            {
                "process": process,
                "url": process.url,
                "state_name": name,
                "state_label": STATE_LABELS.get(name, name),
                "link": process.url if _is_page(process.url) else None,
                "dashboard": _dashboard_url(process) if request.user.is_staff else None,
            }
        )
    return render(request, "demo/processes.html", {"rows": rows})


def _may_see(request: HttpRequest, process: inventory.Process) -> bool:
    if request.user.is_staff or process.owner is None:
        return True
    return bool(request.user.is_authenticated and str(process.owner) == str(request.user.pk))


def _is_page(url: str | None) -> bool:
    return bool(url) and url.startswith("/") and not url.startswith("//")


def _dashboard_url(process: inventory.Process) -> str | None:
    """The job's page in django-rq's dashboard, which shows the polling URL in its meta."""
    from django_rq.settings import get_queues_list

    names = [q["name"] for q in get_queues_list()]
    if process.gone or process.queue not in names:
        return None
    try:
        return reverse("django_rq:job_detail", args=(names.index(process.queue), process.task_id))
    except NoReverseMatch:
        return None
