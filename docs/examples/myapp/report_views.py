"""The views of the "Views and templates" page, one feature each."""

import csv
import io

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, JsonResponse
from django.shortcuts import render
from django.views import View
from django.views.generic import TemplateView

from django_rq_poll.views import PollingMixin, polling_view
from myapp import tasks


class ReportView(LoginRequiredMixin, PollingMixin, TemplateView):
    # Access control first: an anonymous request is redirected before any job starts.
    template_name = "myapp/report.html"  # the result page, with {{ result }}
    running_template_name = "myapp/report_running.html"  # while it runs
    task = "myapp.tasks.slow_report"  # a module-level function, or its dotted path
    job_options = {"timeout": 600, "result_ttl": 15 * 60}

    def get_task_args(self):
        return (self.kwargs["steps"],)


class SharedReportView(PollingMixin, TemplateView):
    # The same report for everyone: one job and one result, whoever asks.
    template_name = "myapp/report.html"
    task = tasks.slow_report
    vary_on_user = False

    def get_task_args(self):
        return (self.kwargs["steps"],)


class QueryReportView(PollingMixin, TemplateView):
    # Only ?steps= matters: /reports/?steps=3&utm_source=mail finds the same result.
    template_name = "myapp/report.html"
    task = tasks.slow_report

    def get_task_args(self):
        return (int(self.request.GET.get("steps", 3)),)

    def get_polling_url(self):
        (steps,) = self.get_task_args()
        return f"{self.request.path}?steps={steps}"  # the mixin still adds the user


class ReportCSVView(PollingMixin, View):
    # No template at all: the result is served as a download.
    task = tasks.slow_report

    def get_task_args(self):
        return (self.kwargs["steps"],)

    def get_result_response(self, rows):
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=["step", "square"])
        writer.writeheader()
        writer.writerows(rows)
        data = io.BytesIO(text.getvalue().encode())
        return FileResponse(data, as_attachment=True, filename="report.csv")


class ReportJSONView(ReportCSVView):
    def get_result_response(self, rows):
        return JsonResponse({"rows": rows})


class AsyncReportView(PollingMixin, View):
    # An async view: the mixin awaits the async lookups; handlers and hooks may be async.
    task = tasks.slow_report

    def get_task_args(self):
        return (self.kwargs["steps"],)

    async def get(self, request, steps):
        return JsonResponse({"steps": steps, "rows": self.result})


class HtmxReportView(SharedReportView):
    # htmx asks with HX-Request: answer with a fragment to swap in, not a whole page.
    def get_template_names(self):
        if self.request.headers.get("HX-Request") == "true":
            return ["myapp/report_rows.html"]
        return [self.template_name]


@polling_view(tasks.slow_report, task_args=lambda request, steps: (steps,))
def report_page(request, steps, result):
    # Called once the result is ready, with it as the keyword argument "result".
    return render(request, "myapp/report.html", {"result": result})
