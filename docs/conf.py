"""Sphinx configuration: built with ``make docs`` (``sphinx-build -W --keep-going -n``)."""

from __future__ import annotations

import os
import sys

import django
from django.conf import settings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), os.path.join(HERE, "_ext")]

# autodoc imports the package, which needs configured settings. Redis clients connect
# lazily, so building the docs needs no Redis server.
if not settings.configured:
    settings.configure(
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django_rq",
            "django_rq_poll",
        ],
        RQ_QUEUES={"default": {"URL": "redis://127.0.0.1:6379/0"}},
        TEMPLATES=[
            {"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}
        ],
        USE_TZ=True,
    )
    django.setup()

import django_rq_poll  # noqa: E402

project = "django-rq-poll"
author = "django-rq-poll developers"
copyright = "django-rq-poll developers"
release = django_rq_poll.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "rqpoll_settings",
]

html_theme = "furo"
html_title = f"django-rq-poll {release}"
html_static_path: list[str] = []
exclude_patterns = ["_build", "examples/README.rst"]

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
python_use_unqualified_type_names = True

# Nitpicky mode checks every cross-reference. No intersphinx (the build must work
# offline), so names from other projects that appear in signatures are listed here.
nitpick_ignore = [
    ("py:class", name)
    for name in (
        "Any",
        "Callable",
        "Coroutine",
        "Job",
        "rq.job.Job",
        "Queue",
        "rq.queue.Queue",
        "P",
        "R",
        "django_rq_poll.api.R",
        "collections.abc.Callable",
        "tasks.TaskRef",
        "P.args",
        "P.kwargs",
        "django.core.exceptions.ImproperlyConfigured",
        "django.http.HttpRequest",
        "django.http.HttpResponse",
        "django.http.HttpResponseBase",
        "HttpRequest",
        "HttpResponse",
        "HttpResponseBase",
        "enum.StrEnum",
        "StrEnum",
        "collections.abc.Sequence",
        "django.http.request.HttpRequest",
        "django.http.response.HttpResponseBase",
        "django_rq_poll.views.V",
        "django_rq_poll.web.decorator.V",
    )
]
