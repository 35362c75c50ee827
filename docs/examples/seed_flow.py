# The seed's common flow of control; only the imports changed.
from django.http import HttpResponse
from django.shortcuts import render

from django_rq_poll import check_status_or_begin, get_process_result, process_is_complete


def add_view(request):
    from myapp import tasks

    # get the url that caused this view to execute
    url = request.META["PATH_INFO"]
    # check to see if the requested process has been run already
    if process_is_complete(url):
        return HttpResponse(str(get_process_result(url)))
    else:
        # start the process or continue to wait for the process to complete
        status_text = check_status_or_begin(tasks.add, task_args=(3, 5), polling_url=url)
        return render(request, "status.txt", {"status": status_text}, status=202)
