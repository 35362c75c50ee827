from __future__ import annotations

import sys
from pathlib import Path

import django

from tests import redis_server

# The docs' example apps (docs/examples) import as a project's apps would; "porting"
# has a model, so it is installed (tests/test_docs_porting.py).
EXAMPLES = str(Path(__file__).resolve().parent.parent / "docs" / "examples")
if EXAMPLES not in sys.path:
    sys.path.append(EXAMPLES)

REDIS_URL = redis_server.ensure()

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django_rq",
    "django_rq_poll",
    "tests.madrona_app",  # tests/test_madrona_app.py: an app shaped like madrona's
    "porting",  # docs/examples/porting: the migration guide's examples
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # tests/web: the same pages again through their async twins (tests/urls_async.py)
    "tests.views.TestSideMiddleware",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
RQ_QUEUES = {
    "default": {"URL": REDIS_URL},
    "other": {"URL": REDIS_URL},
    "json": {"URL": REDIS_URL, "SERIALIZER": "rq.serializers.JSONSerializer"},
    "sync": {"URL": REDIS_URL, "ASYNC": False},
}
RQ_POLL = {"QUEUE": "default"}
# Django's tasks (tests/backends): this package's backend, and Django's own immediate one
# (django.tasks on Django 6, the django-tasks backport on 5.2).
try:
    import django.tasks

    TASKS_FRAMEWORK = "django.tasks"
except ImportError:
    TASKS_FRAMEWORK = "django_tasks"
TASKS = {
    "default": {
        "BACKEND": "django_rq_poll.backends.RQBackend",
        "QUEUES": ["default", "other", "json", "sync"],
    },
    "retrying": {
        "BACKEND": "django_rq_poll.backends.RQBackend",
        "QUEUES": ["default"],
        "OPTIONS": {"retry": 2},
    },
    "immediate": {"BACKEND": f"{TASKS_FRAMEWORK}.backends.immediate.ImmediateBackend"},
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
# The web layer's tests (tests/web/test_views.py): test views and their templates.
ROOT_URLCONF = "tests.urls"
STATIC_URL = "/static/"
TEMPLATES[0]["DIRS"] = [Path(__file__).parent / "templates"]

# Django 6.1 sends mail through MAILERS (its EMAIL_BACKEND fallback is deprecated); the
# test runner's outbox is the locmem backend either way.
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
