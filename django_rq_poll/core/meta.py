"""What this package keeps in a job's meta, and who may read a job.

Meta is written once, when the job is enqueued (rq's rule: afterwards only the job itself
writes it, through :func:`~django_rq_poll.set_progress`), and can hold anything when read
back: every reader here accepts whatever it finds.
"""

from __future__ import annotations

from typing import Any

META_URL = "rq_poll_url"
META_PROGRESS = "rq_poll_progress"
META_OWNER = "rq_poll_owner"
# The page a browser should load once the job is done (the polling URL may be a key
# that is not a page, e.g. one carrying the user).
META_PAGE = "rq_poll_page"
META_CALLBACKS = "rq_poll_callbacks"

# An owner in meta that is not a short string or integer (written by hand, or garbage):
# it matches no user, so such a job answers nobody but staff tools.
UNREADABLE_OWNER = "\0unreadable owner"


def owner_in(meta: dict[str, Any]) -> str | None:
    """The owner recorded in a job's meta, as text; ``None`` when the job has none."""
    owner = meta.get(META_OWNER)
    if owner is None:
        return None
    if isinstance(owner, str) and len(owner) <= 256:
        return owner
    if isinstance(owner, int) and not isinstance(owner, bool) and abs(owner) < 10**64:
        return str(owner)
    return UNREADABLE_OWNER


def owner_of(user: Any) -> str | None:
    """The owner a user's jobs record: the user's pk as text, ``None`` when anonymous."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return str(user.pk)


def may_read(meta: dict[str, Any] | None, reader: str | None) -> bool:
    """The one owner check (status endpoint, stream): a job recorded with an owner
    answers that user only (``reader``: :func:`owner_of` the visitor); a shared or
    anonymous one anybody holding its id."""
    owner = owner_in(meta or {})
    return owner is None or owner == reader


def url_in(meta: dict[str, Any] | None) -> str | None:
    """The polling URL the job was started for, if meta holds a readable one."""
    url = (meta or {}).get(META_URL)
    return url if isinstance(url, str) else None


def page_of(meta: dict[str, Any] | None) -> str | None:
    """The job's polling key when it is a local path, without the user part.

    That is what every visitor of the result shares (for the default key, the page's
    path and query string). Never the page of the visitor who started the job: a view
    whose key ignores some parameters would show one visitor what another requested
    (a token in the query string, say). Never a URL that leaves the site.
    """
    url = url_in(meta)
    if url is not None and url[:1] == "/" and url[1:2] not in ("/", "\\"):
        return url.split("#", 1)[0]
    return None
