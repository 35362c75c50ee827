# A worker whose jobs read as failed within 65 seconds of the worker being killed:
# run it with "python manage.py rqworker --worker-class quick_worker.QuickMonitorWorker".
from rq import Worker


class QuickMonitorWorker(Worker):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("job_monitoring_interval", 5)
        super().__init__(*args, **kwargs)
