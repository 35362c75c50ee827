# The settings django-rq-poll needs, added to a project's settings.py.
import os

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",  # serves the running page's script and style
    "django_rq",
    "django_rq_poll",
    "myapp",
]

RQ_QUEUES = {
    "default": {"URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")},
}

# Optional: every key has a default (see the settings reference).
RQ_POLL = {
    "QUEUE": "default",
    "RESULT_TTL": 60 * 60,  # keep finished results, and their URLs, for an hour
}
