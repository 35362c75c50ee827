"""``rqpoll doctor``'s static files check: what can be known about the running page's
script being served (with DEBUG off, its collected copy), and nothing it cannot know."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command

from django_rq_poll.ops import static

SCRIPT = "django_rq_poll/poll.js"


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
    assert finding.status == "unknown"
    assert "ASGIStaticFilesHandler" in finding.message


def test_without_static_root_collectstatic_cannot_run(settings) -> None:
    settings.DEBUG = False
    settings.STATIC_ROOT = None
    finding = static.check()
    assert finding.status == "warning"
    assert "STATIC_ROOT" in finding.message and "404" in finding.message


def test_not_collected_yet(static_root: Path) -> None:
    finding = static.check()
    assert finding.status == "warning"
    assert "collectstatic" in finding.message and str(static_root) in finding.message


def test_collected_as_installed(static_root: Path) -> None:
    call_command("collectstatic", "--noinput", verbosity=0)
    assert (static_root / SCRIPT).read_bytes() == Path(finders.find(SCRIPT)).read_bytes()
    finding = static.check()
    assert (finding.status, finding.check) == ("ok", "static files")


def test_a_copy_from_an_older_version(static_root: Path) -> None:
    call_command("collectstatic", "--noinput", verbosity=0)
    (static_root / SCRIPT).write_text("/* django-rq-poll 0.1 */")
    finding = static.check()
    assert finding.status == "warning"
    assert "after each upgrade" in finding.message


def test_without_the_staticfiles_app(settings) -> None:
    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if "staticfiles" not in a]
    finding = static.check()
    assert finding.status == "unknown" and "STATIC_URL" in finding.message
