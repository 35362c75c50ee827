"""The templates of the polling pages, named once: views and the decorator take theirs
from :class:`Templates`."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Templates:
    """The templates a polling page renders; each view may name its own."""

    running: str = "django_rq_poll/running.html"
    failed: str = "django_rq_poll/failed.html"
    unavailable: str = "django_rq_poll/unavailable.html"
    htmx_running: str = "django_rq_poll/htmx/running.html"
    htmx_failed: str = "django_rq_poll/htmx/failed.html"
    htmx_unavailable: str = "django_rq_poll/htmx/unavailable.html"
    ready: str = "django_rq_poll/ready.html"
    htmx_ready: str = "django_rq_poll/htmx/ready.html"
    limited: str = "django_rq_poll/limited.html"
    htmx_limited: str = "django_rq_poll/htmx/limited.html"
    too_long: str = "django_rq_poll/too_long.html"


#: The names of :class:`Templates`' fields, in order (each is also a view's
#: ``<name>_template_name`` attribute).
NAMES = tuple(field.name for field in fields(Templates))
