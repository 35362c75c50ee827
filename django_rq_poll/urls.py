"""The status endpoint and the event stream (push).

``path("rq-poll/", include("django_rq_poll.urls"))``.
"""

from __future__ import annotations

from django.urls import path

from . import events, views

app_name = "django_rq_poll"

urlpatterns = [
    path("status/<str:job_id>/", views.status, name="status"),
    path("events/<str:job_id>/", events.events, name="events"),
]
