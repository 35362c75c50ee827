"""The status endpoint: ``path("rq-poll/", include("django_rq_poll.urls"))``."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "django_rq_poll"

urlpatterns = [
    path("status/<str:job_id>/", views.status, name="status"),
]
