"""The benchmark site under an ASGI server (static files served by Django, as in the demo)."""

import os

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.push_settings")

application = ASGIStaticFilesHandler(get_asgi_application())
