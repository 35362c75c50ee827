"""``rqpoll doctor``'s static files check: is the running page's script where it is served?

Whether a server serves static files is decided by the server and what wraps the
application, which nothing here can see. What can be known: with ``DEBUG`` off, whether
``collectstatic`` put this version's ``poll.js`` in the static files storage, the folder a
web server or WhiteNoise serves.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import Storage

from .findings import Finding

SCRIPT = "django_rq_poll/poll.js"
CHECK = "static files"
_UNLESS_FINDERS = (
    "unless something serves the apps' own static folders (Django's static files handler, "
    "as the demo's asgi.py does, or WhiteNoise's WHITENOISE_USE_FINDERS), the running "
    "pages' script answers 404 and they only reload themselves now and then"
)


def check() -> Finding:
    if "django.contrib.staticfiles" not in settings.INSTALLED_APPS:
        return Finding(
            CHECK,
            "unknown",
            "django.contrib.staticfiles is not installed: serve django_rq_poll's static "
            f"folder at STATIC_URL ({settings.STATIC_URL}) yourself, or the running pages' "
            "script answers 404",
        )
    if settings.DEBUG:
        return Finding(
            CHECK,
            "unknown",
            "DEBUG is on: runserver serves static files; an ASGI server (uvicorn) serves them "
            "only when asgi.py wraps the application in ASGIStaticFilesHandler (the push "
            "page's steps); other servers never do",
        )
    from django.contrib.staticfiles import finders
    from django.contrib.staticfiles.storage import staticfiles_storage

    try:
        collected = staticfiles_storage.exists(SCRIPT)
        where = str(getattr(staticfiles_storage, "location", "") or "the static files storage")
        ours = _read(staticfiles_storage, SCRIPT) if collected else b""
    except ImproperlyConfigured as exc:  # no STATIC_ROOT for the default storage
        return Finding(CHECK, "warning", f"{exc}: collectstatic cannot run, so {_UNLESS_FINDERS}")
    except Exception as exc:  # a remote storage that cannot be reached from here
        return Finding(CHECK, "unknown", f"cannot read the static files storage: {exc!r}")
    if not collected:
        return Finding(
            CHECK,
            "warning",
            f"{SCRIPT} is not among the collected static files ({where}): run "
            f"`manage.py collectstatic`; {_UNLESS_FINDERS}",
        )
    installed = finders.find(SCRIPT)
    if isinstance(installed, str) and Path(installed).read_bytes() != ours:
        return Finding(
            CHECK,
            "warning",
            f"the collected {SCRIPT} ({where}) is not the installed one ({installed}): run "
            "`manage.py collectstatic` after each upgrade, or pages run an older script",
        )
    return Finding(
        CHECK,
        "ok",
        f"{SCRIPT} is collected ({where}), as installed: serve that folder at "
        f"STATIC_URL ({settings.STATIC_URL})",
    )


def _read(storage: Storage, name: str) -> bytes:
    with storage.open(name) as handle:
        data = handle.read()
    return data if isinstance(data, bytes) else str(data).encode()
