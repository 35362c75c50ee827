from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache

from .models import Scenario
from .ports import port


def show(request, pk: int):
    scenario = get_object_or_404(Scenario, pk=pk)
    return render(
        request,
        "madrona_app/show.html",
        {"scenario": scenario, "progress": port().progress(scenario)},
    )


@never_cache
def progress(request, pk: int):
    return JsonResponse(port().progress(get_object_or_404(Scenario, pk=pk)))
