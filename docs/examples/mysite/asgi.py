"""mysite/asgi.py for push (docs/push.rst): ``uvicorn mysite.asgi:application``."""

import os

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

application = get_asgi_application()

# No ASGI server serves static files, and Django serves them itself only under runserver:
# without this, the running page's poll.js and poll.css answer 404 under uvicorn. Under
# DEBUG only; in production, collectstatic and let WhiteNoise or the web server serve them.
if settings.DEBUG:
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    application = ASGIStaticFilesHandler(application)
