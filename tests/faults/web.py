"""Judging pages answered under a fault: the status codes allowed, and nothing leaked."""

from __future__ import annotations

from collections.abc import Iterable

from django.test import Client

# Markers of a stack trace or of Django's debug page in a response body.
TRACE_MARKERS = ("Traceback", 'File "', "django/core/handlers", "Exception Value")


def client() -> Client:
    """A client that gets the response a browser would get, not the view's exception."""
    return Client(raise_request_exception=False)


def body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def problems(response, allowed: Iterable[int], secrets: Iterable[str] = ()) -> list[str]:
    """What is wrong with one answer: a status not allowed, a trace, a secret shown."""
    found = []
    text = body(response)
    if response.status_code not in set(allowed):
        found.append(f"status {response.status_code}")
    if getattr(response, "exc_info", None):
        found.append(f"raised {response.exc_info[1]!r}")
    found += [f"shows {marker!r}" for marker in TRACE_MARKERS if marker in text]
    found += [f"shows secret {secret!r}" for secret in secrets if secret in text]
    if response.status_code == 503 and not response.get("Retry-After", "").isdigit():
        found.append("503 without Retry-After")
    return found
