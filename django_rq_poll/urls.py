"""The status endpoint and the event stream (push).

``path("rq-poll/", include("django_rq_poll.urls"))``.
"""

from __future__ import annotations

from django.urls import path

from .web import endpoints

app_name = "django_rq_poll"

urlpatterns = [
    path("status/<str:job_id>/", endpoints.status, name="status"),
    path("events/<str:job_id>/", endpoints.events, name="events"),
]
