"""ASGI entry point of the demo (``make demo`` serves it with uvicorn, so pages get push).

Static files are served by Django's own handler, as ``runserver --insecure`` does:
fine for a demo, never for a real site.
"""

import os

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")

application = ASGIStaticFilesHandler(get_asgi_application())
