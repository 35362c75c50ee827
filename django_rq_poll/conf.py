"""The ``RQ_POLL`` setting, read lazily so that ``override_settings`` just works."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Queue (a key of RQ_QUEUES) for jobs, and whose Redis keeps the URL mappings.
    "QUEUE": "default",
    # Prefix of every Redis key this app writes.
    "PREFIX": "rq_poll",
    # Seconds a finished job's result (and its URL mapping) is kept; None means
    # django-rq's DEFAULT_RESULT_TTL for the queue, else rq's 500. -1 keeps it forever.
    "RESULT_TTL": None,
    # Seconds a failed, stopped or canceled job (and its mapping) is kept; -1 forever.
    "FAILURE_TTL": 24 * 60 * 60,
    # Seconds between two polls of a "still running" page.
    "POLL_INTERVAL": 2,
    # Longest pause between polls once the script has backed off.
    "POLL_MAX_INTERVAL": 15,
    # Seconds a page asks the browser to wait (Retry-After) when Redis is unreachable.
    "RETRY_AFTER": 10,
}

RQ_DEFAULT_RESULT_TTL = 500


class Settings:
    """Typed, lazy view of ``settings.RQ_POLL`` merged over :data:`DEFAULTS`."""

    @property
    def raw(self) -> dict[str, Any]:
        value = getattr(settings, "RQ_POLL", {})
        return value if isinstance(value, dict) else {}

    def _get(self, name: str) -> Any:
        return self.raw.get(name, DEFAULTS[name])

    @property
    def QUEUE(self) -> str:
        return str(self._get("QUEUE"))

    @property
    def PREFIX(self) -> str:
        return str(self._get("PREFIX"))

    @property
    def RESULT_TTL(self) -> int | None:
        value = self._get("RESULT_TTL")
        return None if value is None else int(value)

    @property
    def FAILURE_TTL(self) -> int:
        return int(self._get("FAILURE_TTL"))

    @property
    def POLL_INTERVAL(self) -> float:
        return float(self._get("POLL_INTERVAL"))

    @property
    def POLL_MAX_INTERVAL(self) -> float:
        return float(self._get("POLL_MAX_INTERVAL"))

    @property
    def RETRY_AFTER(self) -> int:
        return int(self._get("RETRY_AFTER"))


conf = Settings()
