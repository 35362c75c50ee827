from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse

import django_rq_poll as poll
from django_rq_poll.core.meta import META_OWNER
from myapp import tasks


def polling_url_for(request):
    # One key per user: another user asking for the same path gets a job of their own.
    return f"user:{request.user.pk}:{request.get_full_path()}"


def report_view(request, steps):
    url = polling_url_for(request)
    if request.method == "POST":  # "try again" is a POST, never a GET
        poll.forget_process(url)  # drops a finished or failed job's result and mapping
    elif request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    state = poll.get_process_status(url)
    if state is poll.State.COMPLETE:
        return JsonResponse({"rows": poll.get_process_result(url)})
    if state is poll.State.FAILED and request.method == "GET":
        return HttpResponse("The report failed. POST here to try again.", status=500)
    status = poll.check_status_or_begin(
        tasks.slow_report,
        task_args=(steps,),
        polling_url=url,
        meta={META_OWNER: request.user.pk},  # shown on the job's dashboard page,
    )
    progress = poll.get_process_progress(url)
    return JsonResponse(
        {"status": status, "state": status.state, "progress": progress and progress.as_dict()},
        status=202,
    )
