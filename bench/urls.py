from __future__ import annotations

import importlib.util

from django.urls import include, path

from . import views

urlpatterns = [path("plain/<int:n>/", views.plain, name="plain")]
for name, view in views.polling_views().items():
    urlpatterns.append(path(f"{name}/<int:n>/", view, name=name))
if importlib.util.find_spec("django_rq_poll.urls") is not None:
    urlpatterns.append(path("rq-poll/", include("django_rq_poll.urls")))
