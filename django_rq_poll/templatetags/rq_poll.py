"""``{% load rq_poll %}``: status text, progress bar and polling script for templates."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from .. import api
from ..core import texts
from ..web import html

register = template.Library()


@register.simple_tag
def process_status(polling_url: str) -> str:
    """The status sentence for the job behind ``polling_url`` ("" when there is none)."""
    return texts.status_text(api.get_process_status(polling_url))


@register.simple_tag
def process_progress(polling_url: str) -> SafeString:
    """A labelled ``<progress>`` bar showing what the job last reported."""
    return html.progress_bar(progress=api.get_process_progress(polling_url))


@register.simple_tag(takes_context=True)
def poll_script(context: template.Context) -> SafeString:
    """The polling script tag, carrying the request's CSP nonce when there is one."""
    fallback = context.get("poll_fallback_ms")  # the running page's: see html.script_tag
    return html.script_tag(nonce=_nonce(context), fallback_ms=fallback)


def _nonce(context: template.Context) -> str | None:
    nonce: Any = context.get("csp_nonce") or getattr(context.get("request"), "csp_nonce", None)
    return str(nonce) if nonce else None
