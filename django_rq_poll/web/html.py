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


# Reloads the running page if the polling script has not started by then (served by no
# one, blocked, a 404 under an ASGI server that serves no static files): a page that
# never moves is the worst answer, and the reloaded page shows the result once ready.
_FALLBACK = (
    "setTimeout(function(){{var r=document.querySelector('[data-rq-poll]');"
    "if(r&&!r.rqPoll){{location.reload();}}}},{});"
)


def script_tag(*, nonce: str | None = None, fallback_ms: int | None = None) -> SafeString:
    """The polling script; ``nonce`` lets it run under a Content-Security-Policy. With
    ``fallback_ms`` (the running page), a reload after that long unless the script runs."""
    attrs = format_html(' nonce="{}"', nonce) if nonce else ""
    tag = format_html('<script src="{}" defer{}></script>', static(SCRIPT), attrs)
    if fallback_ms is None:
        return tag
    inline = format_html(_FALLBACK, int(fallback_ms))
    return format_html("{}<script{}>{}</script>", tag, attrs, inline)
