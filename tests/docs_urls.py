"""Every view of the docs' examples, mounted as one site for tests/test_docs_examples.py."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("", include("mysite.urls")),
    path("", include("myapp.urls")),
]
