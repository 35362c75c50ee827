"""``rqpoll doctor``'s static files check: what can be known about the running page's
script being served (with DEBUG off, its collected copy), and nothing it cannot know."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command

from django_rq_poll.ops import static

SCRIPT = "django_rq_poll/poll.js"
UNLESS_FINDERS = (
    "unless something serves the apps' own static folders (Django's static files handler, "
    "as the demo's asgi.py does, or WhiteNoise's WHITENOISE_USE_FINDERS), the running pages' "
    "script answers 404 and they only reload themselves now and then"
)


@pytest.fixture(autouse=True)
def staticfiles_app(settings) -> None:
    """As in a startproject (the suite's own settings leave it out)."""
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django.contrib.staticfiles"]


@pytest.fixture
def static_root(tmp_path: Path, settings) -> Path:
    settings.DEBUG = False
    settings.STATIC_ROOT = str(tmp_path / "static")
    return tmp_path / "static"


def test_under_debug_it_cannot_know_and_says_what_serves_them(settings) -> None:
    settings.DEBUG = True
    finding = static.check()
    assert (finding.check, finding.status) == ("static files", "unknown")
    assert finding.message == (
        "DEBUG is on: runserver serves static files; an ASGI server (uvicorn) serves them "
        "only when asgi.py wraps the application in ASGIStaticFilesHandler (the push page's "
        "steps); other servers never do"
    )


def test_without_static_root_collectstatic_cannot_run(settings) -> None:
    settings.DEBUG = False
    settings.STATIC_ROOT = None
    finding = static.check()
    assert (finding.check, finding.status) == ("static files", "warning")
    assert "STATIC_ROOT" in finding.message
    assert finding.message.endswith(f": collectstatic cannot run, so {UNLESS_FINDERS}")


def test_not_collected_yet(static_root: Path) -> None:
    finding = static.check()
    assert (finding.check, finding.status) == ("static files", "warning")
    assert finding.message == (
        f"{SCRIPT} is not among the collected static files ({static_root}): run "
        f"`manage.py collectstatic`; {UNLESS_FINDERS}"
    )


def test_collected_as_installed(static_root: Path) -> None:
    call_command("collectstatic", "--noinput", verbosity=0)
    assert (static_root / SCRIPT).read_bytes() == Path(finders.find(SCRIPT)).read_bytes()
    finding = static.check()
    assert (finding.status, finding.check) == ("ok", "static files")
    assert finding.message == (
        f"{SCRIPT} is collected ({static_root}), as installed: serve that folder at "
        "STATIC_URL (/static/)"
    )


def test_a_copy_from_an_older_version(static_root: Path) -> None:
    call_command("collectstatic", "--noinput", verbosity=0)
    (static_root / SCRIPT).write_text("/* django-rq-poll 0.1 */")
    finding = static.check()
    assert (finding.check, finding.status) == ("static files", "warning")
    assert finding.message == (
        f"the collected {SCRIPT} ({static_root}) is not the installed one "
        f"({finders.find(SCRIPT)}): run `manage.py collectstatic` after each upgrade, or pages "
        "run an older script"
    )


def test_without_the_staticfiles_app(settings) -> None:
    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if "staticfiles" not in a]
    finding = static.check()
    assert (finding.check, finding.status) == ("static files", "unknown")
    assert finding.message == (
        "django.contrib.staticfiles is not installed: serve django_rq_poll's static folder at "
        "STATIC_URL (/static/) yourself, or the running pages' script answers 404"
    )


def test_a_storage_that_cannot_be_read_from_here(settings) -> None:
    """As a remote storage out of reach would: whatever it raises is reported, unjudged."""
    settings.DEBUG = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": 5},  # not a path: every call raises
        },
    }
    finding = static.check()
    assert (finding.check, finding.status) == ("static files", "unknown")
    assert finding.message.startswith("cannot read the static files storage: TypeError(")
