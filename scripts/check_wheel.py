"""Fail when the built wheel lacks a file the app needs at run time, or does not work
once installed: it is installed (without dependencies, which this environment has) into
a scratch folder that comes first on the path, imported from there, and its templates,
static files and translations are used."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import zipfile

LANGUAGES = ("de", "es", "fr", "pt_BR")
REQUIRED = (
    "django_rq_poll/py.typed",
    "django_rq_poll/templates/django_rq_poll/status/begun.txt",
    "django_rq_poll/templates/django_rq_poll/running.html",
    "django_rq_poll/static/django_rq_poll/poll.js",
    "django_rq_poll/management/commands/rqpoll.py",
    "django_rq_poll/compat/madrona.py",
    "django_rq_poll/templates/django_rq_poll/compat/madrona/starting_process.html",
    "django_rq_poll/templates/django_rq_poll/compat/madrona/already_processing.html",
    "django_rq_poll/middleware.py",
    "django_rq_poll/backends/__init__.py",  # TASKS' BACKEND path
    "django_rq_poll/backends/run.py",  # the function every task job names
    *(
        f"django_rq_poll/locale/{lang}/LC_MESSAGES/django.{ext}"
        for lang in LANGUAGES
        for ext in ("po", "mo")
    ),
)

# Run with only the installed wheel's copy importable as django_rq_poll.
PROBE = """
import sys
import django
from django.conf import settings

settings.configure(
    INSTALLED_APPS=["django.contrib.staticfiles", "django_rq", "django_rq_poll"],
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}],
    RQ_QUEUES={"default": {"URL": "redis://127.0.0.1:6379/0"}},
    STATIC_URL="/static/",
)
django.setup()
import django_rq_poll
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation

assert django_rq_poll.__file__.startswith(sys.argv[1]), django_rq_poll.__file__
assert finders.find("django_rq_poll/poll.js")
with translation.override("de"):
    assert "Dieser Vorgang ist abgeschlossen." in render_to_string(
        "django_rq_poll/status/complete.txt"
    )
print("installed wheel works:", django_rq_poll.__file__)
"""


def check_contents(wheel: str) -> list[str]:
    names = set(zipfile.ZipFile(wheel).namelist())
    return [f"{wheel}: missing {name}" for name in REQUIRED if name not in names]


# Extras the docs tell users to install, and a requirement each must bring.
EXTRAS = {"push": "uvicorn"}


def check_metadata(wheel: str) -> list[str]:
    """Each documented extra is declared and brings what the docs say it brings."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(name).decode()
    problems = []
    for extra, package in EXTRAS.items():
        if f"Provides-Extra: {extra}" not in metadata.splitlines():
            problems.append(f"{wheel}: no extra {extra!r} (pip install 'django-rq-poll[{extra}]')")
        requires = [
            line
            for line in metadata.splitlines()
            if line.startswith(f"Requires-Dist: {package}")
            and re.search(rf"extra\s*==\s*['\"]{extra}['\"]", line)
        ]
        if not requires:
            problems.append(f"{wheel}: the extra {extra!r} does not bring {package}")
    return problems


def check_installed(wheel: str) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="rq-poll-wheel-") as target:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", target, wheel],
            check=True,
        )
        env = {**os.environ, "PYTHONPATH": target}  # ahead of an editable checkout
        env.pop("DJANGO_SETTINGS_MODULE", None)
        done = subprocess.run(
            [sys.executable, "-P", "-c", PROBE, target],
            env=env,
            cwd=target,
            capture_output=True,
            text=True,
        )
        print(done.stdout, end="")
        return [] if done.returncode == 0 else [f"{wheel}: installed, it fails:\n{done.stderr}"]


def main(wheel: str) -> int:
    problems = check_contents(wheel) + check_metadata(wheel) or check_installed(wheel)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{wheel}: all {len(REQUIRED)} required files present")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
