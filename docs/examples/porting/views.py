"""A progress view polled by a page's script: its JSON says done, and says failed."""

from django.http import JsonResponse

import django_rq_poll as poll
from django_rq_poll.compat import madrona

UNKNOWN = "No analysis is known for this scenario: save it to run it again."


def progress(request, pk):
    snap = poll.get_process_snapshot(f"/scenarios/{pk}/", result=True)
    if snap is None:  # never started, or its result expired
        return JsonResponse({"done": True, "status": None, "error": UNKNOWN})
    answer = {"done": snap.state.done, "status": snap.state}
    if snap.state is poll.State.COMPLETE:
        answer["result"] = snap.return_value
    elif snap.state.done:  # failed or canceled: say so, and the page stops polling
        answer["error"] = "The analysis failed. Edit the scenario and try again."
    return JsonResponse(answer)


def progress_with_madronas_api(request, pk):
    url = f"/scenarios/{pk}/"
    status = madrona.get_process_status(url)  # "PENDING", "STARTED", "SUCCESS", ... or None
    if status is None:
        return JsonResponse({"done": True, "status": None, "error": UNKNOWN})
    answer = {"done": status in ("SUCCESS", "FAILURE", "REVOKED"), "status": status}
    result = madrona.get_process_result(url)  # a failure is returned as an exception
    if isinstance(result, Exception):
        answer["error"] = str(result)
    elif status == "SUCCESS":
        answer["result"] = result
    return JsonResponse(answer)
