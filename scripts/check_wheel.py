"""Fail when the built wheel lacks a file the app needs at run time."""

from __future__ import annotations

import sys
import zipfile

REQUIRED = (
    "django_rq_poll/py.typed",
    "django_rq_poll/templates/django_rq_poll/status/begun.txt",
    "django_rq_poll/templates/django_rq_poll/running.html",
    "django_rq_poll/static/django_rq_poll/poll.js",
    "django_rq_poll/management/commands/rqpoll.py",
    "django_rq_poll/compat/madrona.py",
    "django_rq_poll/templates/django_rq_poll/compat/madrona/starting_process.html",
    "django_rq_poll/templates/django_rq_poll/compat/madrona/already_processing.html",
)


def main(wheel: str) -> int:
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in REQUIRED if name not in names]
    for name in missing:
        print(f"{wheel}: missing {name}", file=sys.stderr)
    if not missing:
        print(f"{wheel}: all {len(REQUIRED)} required files present")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
