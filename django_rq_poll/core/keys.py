"""Every Redis key name this app writes, built from one prefix.

rq's own key layout (``rq:job:<id>`` ...) is known only to :mod:`.rqlayout`.
"""

from __future__ import annotations

import functools
import hashlib
import re
from typing import Any

from django.core.signals import setting_changed

from ..conf import conf

# rq's rule for custom job ids; anything else can never name a job of ours.
_JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


def url_digest(polling_url: str) -> str:
    """Any string is a valid polling URL: the key holds a hash, the URL stays in job meta."""
    raw = polling_url.encode("utf-8", "surrogatepass")
    return hashlib.sha256(raw).hexdigest()


@functools.cache
def _url_prefix() -> str:
    # Built once, not per lookup; forgotten when RQ_POLL changes (override_settings).
    return f"{conf.PREFIX}:url:"


def url_key(polling_url: str) -> str:
    """The reverse key: polling URL -> id of the job that answers it."""
    return _url_prefix() + url_digest(polling_url)


# What a process keeps of the URLs it polls: at most CACHED_URLS entries of at most
# CACHED_URL_CHARS characters each (a few MB at worst). Longer URLs are hashed on each
# call: a cache keyed on whole URLs held 100 MB for 1,000 URLs of 100 kB.
CACHED_URLS = 4096
CACHED_URL_CHARS = 256


def url_key_bytes(polling_url: str) -> bytes:
    """:func:`url_key`, encoded, remembered for the short URLs being polled right now."""
    if len(polling_url) > CACHED_URL_CHARS:
        return url_key(polling_url).encode()
    return _cached_url_key_bytes(polling_url)


@functools.lru_cache(maxsize=CACHED_URLS)
def _cached_url_key_bytes(polling_url: str) -> bytes:
    return url_key(polling_url).encode()


def events_channel(task_id: str) -> str:
    """The pub/sub channel on which a job's changes are announced (see :mod:`.publish`)."""
    return f"{conf.PREFIX}:events:{task_id}"


def events_channel_prefix() -> str:
    """What every job's channel starts with: the listener reads the job id after it."""
    return f"{conf.PREFIX}:events:"


def visitor_key(visitor: str) -> str:
    """A visitor's active jobs: a sorted set of job ids, scored by when each stops counting."""
    return f"{conf.PREFIX}:visitor:{url_digest(visitor)}"


def url_key_pattern() -> str:
    """``SCAN`` pattern matching every URL mapping."""
    return f"{conf.PREFIX}:url:*"


def is_valid_job_id(task_id: object) -> bool:
    return isinstance(task_id, str) and _JOB_ID.fullmatch(task_id) is not None


def _forget_prefix(*, setting: str, **kwargs: Any) -> None:
    if setting == "RQ_POLL":
        _url_prefix.cache_clear()
        _cached_url_key_bytes.cache_clear()


setting_changed.connect(_forget_prefix, dispatch_uid="django_rq_poll.keys.forget_prefix")
