"""System checks for the ``RQ_POLL`` setting (ids ``django_rq_poll.E00x``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error

from .conf import DEFAULTS


def _error(msg: str, hint: str, number: int) -> Error:
    return Error(msg, hint=hint, id=f"django_rq_poll.E{number:03d}")


def _is_ttl(value: Any, *, allow_none: bool) -> bool:
    if value is None:
        return allow_none
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    return value == -1 or value > 0


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
                "Set RQ_POLL = {'QUEUE': 'default', ...} or remove it to use the defaults.",
                1,
            )
        ]
    errors: list[CheckMessage] = []
    unknown = sorted(set(raw) - set(DEFAULTS))
    if unknown:
        errors.append(
            _error(
                f"RQ_POLL has unknown key(s): {', '.join(unknown)}.",
                f"Known keys: {', '.join(sorted(DEFAULTS))}.",
                2,
            )
        )
    queues = getattr(settings, "RQ_QUEUES", {})
    queue = raw.get("QUEUE", DEFAULTS["QUEUE"])
    if not isinstance(queue, str) or queue not in queues:
        errors.append(
            _error(
                f"RQ_POLL['QUEUE'] is {queue!r}, which is not a queue in RQ_QUEUES.",
                f"Use one of: {', '.join(sorted(queues)) or '(RQ_QUEUES is empty)'}.",
                3,
            )
        )
    if not _is_ttl(raw.get("RESULT_TTL"), allow_none=True):
        errors.append(
            _error(
                f"RQ_POLL['RESULT_TTL'] is {raw.get('RESULT_TTL')!r}.",
                "Use None (django-rq's DEFAULT_RESULT_TTL, else one day), -1 (keep forever) "
                "or a number of seconds > 0; 0 would store no result for a page to show.",
                4,
            )
        )
    if not _is_ttl(raw.get("FAILURE_TTL", DEFAULTS["FAILURE_TTL"]), allow_none=False):
        errors.append(
            _error(
                f"RQ_POLL['FAILURE_TTL'] is {raw.get('FAILURE_TTL')!r}.",
                "Use -1 (keep forever) or a number of seconds > 0.",
                5,
            )
        )
    prefix = raw.get("PREFIX", DEFAULTS["PREFIX"])
    if not isinstance(prefix, str) or not prefix or any(c.isspace() for c in prefix):
        errors.append(
            _error(
                f"RQ_POLL['PREFIX'] is {prefix!r}.",
                "Use a non-empty string without spaces, such as 'rq_poll'.",
                6,
            )
        )
    for name in ("POLL_INTERVAL", "POLL_MAX_INTERVAL"):
        if not _is_positive_number(raw.get(name, DEFAULTS[name])):
            errors.append(
                _error(
                    f"RQ_POLL[{name!r}] is {raw.get(name)!r}.",
                    "Use a number of seconds > 0.",
                    7,
                )
            )
    retry_after = raw.get("RETRY_AFTER", DEFAULTS["RETRY_AFTER"])
    if isinstance(retry_after, bool) or not isinstance(retry_after, int) or retry_after <= 0:
        errors.append(
            _error(
                f"RQ_POLL['RETRY_AFTER'] is {retry_after!r}.",
                "Use a whole number of seconds > 0 (it is sent as the Retry-After header).",
                8,
            )
        )
    return errors
