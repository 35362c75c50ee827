"""VISITOR_KEY for a site behind reverse proxies (docs/deployment.rst)."""

from __future__ import annotations

from django.http import HttpRequest

#: How many proxies of your own stand in front of the site, each appending the address
#: it saw to X-Forwarded-For (nginx's $proxy_add_x_forwarded_for, a load balancer).
#: 0 for a site that faces the internet itself: the header is then never read.
TRUSTED_PROXIES = 1


def client_ip(request: HttpRequest) -> str:
    """The client's address as your outermost proxy saw it: the TRUSTED_PROXIES-th entry
    of X-Forwarded-For from the right. Entries further left came from the client, which
    can write anything there, and are never read."""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    if TRUSTED_PROXIES <= 0:
        return remote
    entries = [entry.strip() for entry in request.headers.get("X-Forwarded-For", "").split(",")]
    if len(entries) < TRUSTED_PROXIES:  # did not come through all of your proxies
        return remote
    return entries[-TRUSTED_PROXIES] or remote
