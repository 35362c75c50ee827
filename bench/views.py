"""The pages the web figures load: the mixin's, and a plain one-GET view to compare with."""

from __future__ import annotations

import importlib
import os
import pickle
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.generic import TemplateView

from django_rq_poll.drivers import backends

PLAIN_KEY = "rq_poll_bench:plain:{n}"
RELEASE_KEY = "rq_poll_bench:release:{n}"


def mixin_class() -> type | None:
    """``django_rq_poll.views.PollingMixin`` (or ``BENCH_POLLING_MIXIN``), if importable."""
    path = os.environ.get("BENCH_POLLING_MIXIN", "django_rq_poll.views.PollingMixin")
    module, _, name = path.rpartition(".")
    try:
        found = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None
    return found if isinstance(found, type) else None


def plain(request: HttpRequest, n: int) -> HttpResponse:
    """What the mixin competes with: one Redis GET, then the same template."""
    raw = backends.backend().connection.get(PLAIN_KEY.format(n=n))
    result = pickle.loads(raw) if raw is not None else None
    return render(request, "bench/result.html", {"result": result})


def polling_views() -> dict[str, Any]:
    Mixin = mixin_class()
    if Mixin is None:
        return {}

    class ReportView(Mixin, TemplateView):  # type: ignore[misc,valid-type]
        template_name = "bench/result.html"
        task = "bench.tasks.report"

        def get_task_args(self) -> tuple[Any, ...]:
            return (self.kwargs["n"],)

    class HeldView(Mixin, TemplateView):  # type: ignore[misc,valid-type]
        """Its job stays running until the benchmark releases it."""

        template_name = "bench/result.html"
        task = "bench.tasks.hold"

        def get_task_args(self) -> tuple[Any, ...]:
            return (RELEASE_KEY.format(n=self.kwargs["n"]),)

    class AsyncReportView(ReportView):
        """The same page as an async view: the mixin's async path (``redis.asyncio``)."""

        async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            return render(request, self.template_name, {"result": self.result})

    class AsyncHeldView(HeldView):
        async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            return render(request, self.template_name, {"result": self.result})

    return {
        "report": ReportView.as_view(),
        "held": HeldView.as_view(),
        "areport": AsyncReportView.as_view(),
        "aheld": AsyncHeldView.as_view(),
    }
