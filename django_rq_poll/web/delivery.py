"""How a finished job's result that is not a page reaches a polling client exactly once.

A browser sent a file downloads it and keeps the page it was on, and htmx follows an
``HX-Redirect`` before it looks at the status that would stop its polling. So a polling
client is given a "ready" page (or fragment) instead, whose single automatic request
fetches the result from the page's URL plus :data:`DELIVER_PARAM`, and which links to it.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.http.response import HttpResponseBase

#: The query parameter (``rq_poll_deliver=1``) of the URL that answers a file result as
#: the view made it, rather than with the "ready" page that fetches it; never part of
#: the polling key.
DELIVER_PARAM = "rq_poll_deliver"
_TOKEN = f"{DELIVER_PARAM}=1"


def without_marker(url: str) -> str:
    """The URL without :data:`DELIVER_PARAM`: the page (and polling key) it belongs to."""
    path, sep, query = url.partition("?")
    if not sep or _TOKEN not in query:
        return url
    kept = [part for part in query.split("&") if part != _TOKEN]
    return f"{path}?{'&'.join(kept)}" if kept else path


def local(url: str) -> str:
    """A path that stays on this site: ``//host/...`` (a path a catch-all URL pattern
    may answer) would send an automatic request elsewhere."""
    return "/" + url.lstrip("/\\") if url[1:2] in ("/", "\\") else url


def deliver_url(page_url: str) -> str:
    """The page's URL that answers the result as the view made it (a file, JSON ...)."""
    page_url = local(page_url)
    return f"{page_url}{'&' if '?' in page_url else '?'}{_TOKEN}"


def is_delivery(request: HttpRequest) -> bool:
    return request.GET.get(DELIVER_PARAM) == "1"


def navigates(request: HttpRequest) -> bool:
    """A browser loading a page (it names text/html), not a script or curl fetching a file."""
    return "text/html" in request.headers.get("Accept", "")


def is_page(response: HttpResponseBase) -> bool:
    """An HTML page the browser (or htmx) shows in place of the running page."""
    html_type = response.get("Content-Type", "").startswith("text/html")
    return response.status_code == 200 and html_type and not response.streaming


def is_download(response: HttpResponseBase) -> bool:
    """A file (FileResponse, a streamed export ...): a browser saves it and keeps the page."""
    return response.has_header("Content-Disposition") or (
        response.streaming and not response.get("Content-Type", "").startswith("text/html")
    )


def target(response: HttpResponseBase, page_url: str) -> str:
    """Where a browser finds the result itself: the redirect's target, the file's URL,
    or the page (which answers JSON and the like as they are)."""
    if 300 <= response.status_code < 400 and response.get("Location"):
        return str(response["Location"])
    return deliver_url(page_url) if is_download(response) else local(page_url)


def discard(response: HttpResponseBase) -> None:
    """Release the file of a response that is not sent. Not ``response.close()``: that
    also sends ``request_finished`` in the middle of the request."""
    stream = getattr(response, "file_to_stream", None)
    if stream is not None and hasattr(stream, "close"):
        stream.close()
