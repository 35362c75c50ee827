"""System checks: the ``RQ_POLL`` setting, the apps it needs and the status endpoint.

Ids ``django_rq_poll.E001``-``E016``, ``E020``, ``E021`` and ``W001``; every hint says
what to change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.core.checks import Warning as CheckWarning
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from ..conf import DEFAULTS


def _error(msg: str, hint: str, number: int) -> Error:
    return Error(msg, hint=hint, id=f"django_rq_poll.E{number:03d}")


def _is_ttl(value: Any, *, allow_none: bool) -> bool:
    if value is None:
        return allow_none
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    return value == -1 or value > 0


def _is_count(value: Any, *, allow_none: bool) -> bool:
    if value is None:
        return allow_none
    return not isinstance(value, bool) and isinstance(value, int) and value > 0


def _is_positive_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and value > 0


def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    raw = getattr(settings, "RQ_POLL", {})
    if not isinstance(raw, dict):
        return [
            _error(
                f"RQ_POLL must be a dict, not {type(raw).__name__}.",
                "Set RQ_POLL to a dict, such as {'QUEUE': 'default'}, or remove it to use "
                "the defaults.",
                1,
            )
        ]
    errors: list[CheckMessage] = []
    unknown = sorted(set(raw) - set(DEFAULTS))
    if unknown:
        errors.append(
            _error(
                f"RQ_POLL has unknown key(s): {', '.join(unknown)}.",
                f"Remove them or correct their spelling; the known keys are "
                f"{', '.join(sorted(DEFAULTS))}.",
                2,
            )
        )
    queues = getattr(settings, "RQ_QUEUES", {})
    queue = raw.get("QUEUE", DEFAULTS["QUEUE"])
    if not isinstance(queue, str) or queue not in queues:
        errors.append(
            _error(
                f"RQ_POLL['QUEUE'] is {queue!r}, which is not a queue in RQ_QUEUES.",
                _queue_hint(queue, queues),
                3,
            )
        )
    if not _is_ttl(raw.get("RESULT_TTL"), allow_none=True):
        errors.append(
            _error(
                f"RQ_POLL['RESULT_TTL'] is {raw.get('RESULT_TTL')!r}.",
                "Set RQ_POLL['RESULT_TTL'] to None (django-rq's DEFAULT_RESULT_TTL, else one "
                "day), -1 (keep results forever) or a number of seconds greater than 0; 0 would "
                "store no result for the page to show.",
                4,
            )
        )
    if not _is_ttl(raw.get("FAILURE_TTL", DEFAULTS["FAILURE_TTL"]), allow_none=False):
        errors.append(
            _error(
                f"RQ_POLL['FAILURE_TTL'] is {raw.get('FAILURE_TTL')!r}.",
                "Set RQ_POLL['FAILURE_TTL'] to -1 (keep failures forever) or a number of "
                "seconds greater than 0, such as 86400 for a day.",
                5,
            )
        )
    prefix = raw.get("PREFIX", DEFAULTS["PREFIX"])
    if not isinstance(prefix, str) or not prefix or any(c.isspace() for c in prefix):
        errors.append(
            _error(
                f"RQ_POLL['PREFIX'] is {prefix!r}.",
                "Set RQ_POLL['PREFIX'] to a non-empty string without spaces, such as "
                "'rq_poll' (the default).",
                6,
            )
        )
    for name in ("POLL_INTERVAL", "POLL_MAX_INTERVAL"):
        if not _is_positive_number(raw.get(name, DEFAULTS[name])):
            errors.append(
                _error(
                    f"RQ_POLL[{name!r}] is {raw.get(name)!r}.",
                    f"Set RQ_POLL[{name!r}] to a number of seconds greater than 0, such as "
                    f"{DEFAULTS[name]!r} (the default).",
                    7,
                )
            )
    retry_after = raw.get("RETRY_AFTER", DEFAULTS["RETRY_AFTER"])
    if isinstance(retry_after, bool) or not isinstance(retry_after, int) or retry_after <= 0:
        errors.append(
            _error(
                f"RQ_POLL['RETRY_AFTER'] is {retry_after!r}.",
                "Set RQ_POLL['RETRY_AFTER'] to a whole number of seconds greater than 0, "
                f"such as {DEFAULTS['RETRY_AFTER']!r} (the default); it is sent as the "
                "Retry-After header.",
                8,
            )
        )
    max_result = raw.get("MAX_RESULT_BYTES", DEFAULTS["MAX_RESULT_BYTES"])
    if max_result is not None and not (
        not isinstance(max_result, bool) and isinstance(max_result, int) and max_result > 0
    ):
        errors.append(
            _error(
                f"RQ_POLL['MAX_RESULT_BYTES'] is {max_result!r}.",
                "Set RQ_POLL['MAX_RESULT_BYTES'] to a whole number of bytes greater than 0, "
                f"such as {DEFAULTS['MAX_RESULT_BYTES']!r} (the default, 16 MB; keep it well "
                "below Redis' proto-max-bulk-len of 512 MB), or to None for no limit of "
                "django-rq-poll's own.",
                16,
            )
        )
    if not isinstance(raw.get("PUSH", DEFAULTS["PUSH"]), bool):
        errors.append(
            _error(
                f"RQ_POLL['PUSH'] is {raw.get('PUSH')!r}.",
                "Use True (pages served under ASGI stream the job's changes) or False.",
                20,
            )
        )
    for name in ("PUSH_RECHECK", "PUSH_HEARTBEAT"):
        if not _is_positive_number(raw.get(name, DEFAULTS[name])):
            errors.append(
                _error(
                    f"RQ_POLL[{name!r}] is {raw.get(name)!r}.",
                    "Use a number of seconds > 0.",
                    21,
                )
            )
    errors += _limit_errors(raw)
    return errors


def _limit_errors(raw: dict[str, Any]) -> list[CheckMessage]:
    """The settings that bound what visitors can make the site do (docs/guarantees.rst)."""
    errors: list[CheckMessage] = []

    def value(name: str) -> Any:
        return raw.get(name, DEFAULTS[name])

    counts = {
        "MAX_ACTIVE_JOBS": (10, "jobs per visitor"),
        "QUEUED_TTL": (12, "seconds a job may wait in the queue"),
        "MAX_QUEUE_LENGTH": (14, "queued jobs"),
        "MAX_STREAMS": (22, "streams per visitor"),
    }
    for name, (number, what) in counts.items():
        if not _is_count(value(name), allow_none=True):
            errors.append(
                _error(
                    f"RQ_POLL[{name!r}] is {value(name)!r}.",
                    f"Use a whole number of {what} > 0, or None for no limit.",
                    number,
                )
            )
    visitor_key = value("VISITOR_KEY")
    if visitor_key is not None and not _is_callable_path(visitor_key):
        errors.append(
            _error(
                f"RQ_POLL['VISITOR_KEY'] is {visitor_key!r}, which does not name a function.",
                "Use the dotted path of a function taking the request and returning a string "
                "(e.g. 'mysite.visitors.client_ip'), or None to use REMOTE_ADDR.",
                11,
            )
        )
    lifetimes = {"ANONYMOUS_FAILURE_TTL": (13,), "ANONYMOUS_RESULT_TTL": (23,)}  # check ids
    for name, (number,) in lifetimes.items():
        if not _is_ttl(value(name), allow_none=False):
            errors.append(
                _error(
                    f"RQ_POLL[{name!r}] is {value(name)!r}.",
                    "Use -1 (keep forever) or a number of seconds > 0.",
                    number,
                )
            )
    if not _is_count(value("MAX_URL_LENGTH"), allow_none=False):
        errors.append(
            _error(
                f"RQ_POLL['MAX_URL_LENGTH'] is {value('MAX_URL_LENGTH')!r}.",
                "Use a whole number of characters > 0 (the default is 2048).",
                15,
            )
        )
    return errors


def _is_callable_path(path: Any) -> bool:
    if not isinstance(path, str):
        return False
    try:
        return callable(import_string(path))
    except ImportError:
        return False


def _queue_hint(queue: Any, queues: Any) -> str:
    if not queues:
        return (
            f"Define the queue in RQ_QUEUES, for example RQ_QUEUES = {{{queue!r}: "
            "{'URL': 'redis://127.0.0.1:6379/0'}}; RQ_QUEUES is empty or missing now."
        )
    names = ", ".join(repr(name) for name in sorted(queues))
    return f"Set RQ_POLL['QUEUE'] to a queue in RQ_QUEUES ({names}), or add {queue!r} there."


def check_apps(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """django_rq brings the ``rqworker`` command: without it nothing ever runs the jobs."""
    if apps.is_installed("django_rq"):
        return []
    return [
        _error(
            "django_rq is not in INSTALLED_APPS: pages would start jobs that no "
            "rqworker command can run.",
            "Add 'django_rq' to INSTALLED_APPS next to 'django_rq_poll', then start a "
            "worker with: python manage.py rqworker default",
            9,
        )
    ]


def check_urls(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """Without the status endpoint a running page can only reload itself, every time."""
    try:
        reverse("django_rq_poll:status", kwargs={"job_id": "check"})
    except NoReverseMatch:
        root = getattr(settings, "ROOT_URLCONF", "your ROOT_URLCONF")
        return [
            CheckWarning(
                "The status endpoint (django_rq_poll.urls) is not in the URLconf: running "
                "pages fall back to reloading themselves instead of asking it.",
                hint=(
                    f'Add path("rq-poll/", include("django_rq_poll.urls")) to '
                    f"urlpatterns in {root}, importing include and path from django.urls. "
                    "If the site leaves it out on purpose, add 'django_rq_poll.W001' to "
                    "SILENCED_SYSTEM_CHECKS."
                ),
                id="django_rq_poll.W001",
            )
        ]
    return []
