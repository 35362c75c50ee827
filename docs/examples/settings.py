# The settings django-rq-poll needs, added at the end of a project's settings.py
# (startproject's INSTALLED_APPS already has django.contrib.staticfiles, which serves
# the running page's script and style).
import os

INSTALLED_APPS += ["django_rq", "django_rq_poll", "myapp"]  # noqa: F821 (startproject's)

RQ_QUEUES = {
    "default": {"URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")},
}

# Optional: every key has a default (see the settings reference).
RQ_POLL = {
    "QUEUE": "default",
    "RESULT_TTL": 60 * 60,  # keep finished results, and their URLs, for an hour
}
