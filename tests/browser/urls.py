"""The test site as a browser sees it: the test views, htmx, and a host page for htmx
polling (the live server serves /static/ from STATIC_ROOT). Answers that carry a file
are counted in ``files_served``."""

from __future__ import annotations

from pathlib import Path

from django.http import HttpResponse
from django.urls import path, re_path
from django.utils.html import format_html
from django.views.static import serve

import django_rq_poll
from tests import views
from tests.urls import urlpatterns as test_urlpatterns

PACKAGE_STATIC = Path(django_rq_poll.__file__).parent / "static"
VENDORED = Path(__file__).parent / "static"

# The path of every response that carried a file (Content-Disposition), in order.
files_served: list[str] = []


def counted(view):
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.has_header("Content-Disposition"):
            files_served.append(request.get_full_path())
        return response

    return wrapper


def htmx_host(request):
    """A site's own page that lets htmx poll ``?target=`` in place."""
    return HttpResponse(
        format_html(
            '<!DOCTYPE html><html><head><meta charset="utf-8"><title>htmx host</title>'
            '<script src="/vendor/htmx.min.js"></script></head><body><h1>htmx host</h1>'
            '<div hx-get="{}" hx-trigger="load" hx-swap="outerHTML">Loading…</div>'
            "</body></html>",
            request.GET["target"],
        )
    )


urlpatterns = [
    path("file/", counted(views.FileView.as_view())),
    path("htmx-host/", htmx_host),
    re_path(r"^vendor/(?P<path>.*)$", serve, {"document_root": VENDORED}),
    *test_urlpatterns,
]
