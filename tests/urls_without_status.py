"""A URLconf that forgot the status endpoint (the W001 check's case)."""

from __future__ import annotations

from django.urls import path

from tests import views

urlpatterns = [path("sum/", views.SumView.as_view())]
