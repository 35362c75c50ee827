from django.http import HttpResponse

from django_rq_poll import check_status_or_begin, get_process_result, process_is_complete
from myapp import tasks


def add_view(request, x, y):
    # The polling URL names the result: the same URL finds the same job.
    url = request.get_full_path()
    if process_is_complete(url):
        return HttpResponse(str(get_process_result(url)))
    # Start the job, unless one is already queued, running or done for this URL.
    status_text = check_status_or_begin(tasks.add, task_args=(x, y), polling_url=url)
    response = HttpResponse(status_text, status=202)
    response["Refresh"] = "2"  # ask the browser to come back in two seconds
    return response
