from django.urls import path

from myapp import report_views, views

urlpatterns = [
    path("add/<int:x>/<int:y>/", views.add_view, name="add"),
    path("report/<int:steps>/", report_views.report_view, name="report"),
]
