"""Settings of the demo site: a small project that uses django-rq-poll as a real site would.

Redis comes from ``REDIS_URL`` (default redis://127.0.0.1:6379/0). Never deploy these
settings: the secret key and the demo users' passwords are public.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

SECRET_KEY = "demo-only-not-secret"
# Off, so pages behave as on a real site (error details only for staff);
# DEMO_DEBUG=1 turns Django's debug pages on. demo/run.py serves static files either way.
DEBUG = os.environ.get("DEMO_DEBUG") == "1"
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_rq",
    "demo",  # before django_rq_poll: its templates override the app's base layout
    "django_rq_poll",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The visitor's language: the switch's choice (a cookie), else Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Pages that read Redis outside a polling view (/processes/, django-rq's dashboard)
    # answer the 503 page during an outage, as the polling pages do.
    "django_rq_poll.middleware.RedisUnavailableMiddleware",
]
ROOT_URLCONF = "demo.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
WSGI_APPLICATION = "demo.wsgi.application"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        # DEMO_DB lets tests run the demo on a throw-away database.
        "NAME": os.environ.get("DEMO_DB") or BASE_DIR / "db.sqlite3",
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
# English and the languages of django-rq-poll's catalogs (django_rq_poll/locale); the
# demo's own strings are in demo/locale.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("fr", "Français"),
    ("pt-br", "Português (Brasil)"),
]
USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "static/"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# JSON, not pickle: whoever can write to Redis cannot make the worker or the site run
# code. Workers must be started with the same serializer (demo/run.py passes it).
RQ_SERIALIZER = "rq.serializers.JSONSerializer"
RQ_QUEUES = {
    "default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 120, "SERIALIZER": RQ_SERIALIZER},
}
RQ_POLL = {
    "QUEUE": "default",
    "RESULT_TTL": 10 * 60,
    "FAILURE_TTL": 60 * 60,
    "POLL_INTERVAL": 1,
    "POLL_MAX_INTERVAL": 5,
}

# Public on purpose: the login page shows them.
DEMO_USERS = [
    {"username": "alice", "password": "alice-demo", "staff": False},
    {"username": "bob", "password": "bob-demo", "staff": False},
    {"username": "staff", "password": "staff-demo", "staff": True},
]
