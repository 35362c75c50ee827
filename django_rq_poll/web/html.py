"""HTML fragments shared by the views and the template tags, built with ``format_html``.

The ``data-rq-poll-*`` attributes are what ``static/django_rq_poll/poll.js`` updates.
"""

from __future__ import annotations

from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from ..core.progress import Progress

SCRIPT = "django_rq_poll/poll.js"


def progress_bar(*, progress: Progress | None) -> SafeString:
    """A labelled ``<progress>``; without a known total it is indeterminate (no ``value``)."""
    label = progress.message if progress is not None and progress.message else gettext("Progress")
    percent = progress.percent if progress is not None else None
    if percent is None:
        return format_html(
            '<label class="rq-poll-progress"><span data-rq-poll-label>{}</span> '
            '<progress data-rq-poll-bar max="100"></progress></label>',
            label,
        )
    return format_html(
        '<label class="rq-poll-progress"><span data-rq-poll-label>{}</span> '
        '<progress data-rq-poll-bar max="100" value="{}">{}%</progress></label>',
        label,
        percent,
        percent,
    )


def script_tag(*, nonce: str | None = None) -> SafeString:
    """The polling script; ``nonce`` lets it run under a Content-Security-Policy."""
    if nonce:
        return format_html('<script src="{}" defer nonce="{}"></script>', static(SCRIPT), nonce)
    return format_html('<script src="{}" defer></script>', static(SCRIPT))
