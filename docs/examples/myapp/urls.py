from django.urls import path
from django.views.generic import TemplateView

from myapp import api_views, report_views

urlpatterns = [
    path("reports/<int:steps>/", report_views.ReportView.as_view(), name="report"),
    path("reports/shared/<int:steps>/", report_views.SharedReportView.as_view()),
    path("reports/", report_views.QueryReportView.as_view()),
    path("reports/<int:steps>.csv", report_views.ReportCSVView.as_view()),
    path("reports/<int:steps>.json", report_views.ReportJSONView.as_view()),
    path("reports/async/<int:steps>/", report_views.AsyncReportView.as_view()),
    path("reports/htmx/<int:steps>/", report_views.HtmxReportView.as_view(), name="htmx-report"),
    path("reports/function/<int:steps>/", report_views.report_page),
    path("dashboard/", TemplateView.as_view(template_name="myapp/dashboard.html")),
    path("htmx/", TemplateView.as_view(template_name="myapp/htmx_page.html")),
    path("api/report/<int:steps>/", api_views.report_view),
]
