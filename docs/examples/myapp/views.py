from django.views.generic import TemplateView

from django_rq_poll.views import PollingMixin
from myapp import tasks


class AddView(PollingMixin, TemplateView):
    template_name = "myapp/add.html"  # rendered once the result is ready
    task = tasks.add

    def get_task_args(self):
        return (self.kwargs["x"], self.kwargs["y"])
