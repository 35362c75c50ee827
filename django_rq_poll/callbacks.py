"""rq callbacks attached to every job: they run in the worker when the job ends.

They give the URL mapping the job's remaining lifetime (so no mapping outlives its
result) and refuse results the queue's serializer cannot store. A caller's own
``on_success``/``on_failure``/``on_stopped`` callbacks are kept in meta and called first.
Their paths are stored in every job's hash (:mod:`.core.plan`): this module never moves.
"""

from __future__ import annotations

from typing import Any

from rq.job import Job
from rq.utils import import_attribute

from .conf import conf
from .core import keys, writes
from .core.meta import META_CALLBACKS, url_in
from .drivers import backends
from .push import publish


def _call_theirs(event: str, job: Job, *args: Any) -> None:
    entry = (job.meta.get(META_CALLBACKS) or {}).get(event)
    if entry:
        import_attribute(entry[0])(job, *args)


def _settle(job: Job) -> None:
    try:
        url = url_in(job.meta)
        if url is not None:
            backends.backend().run(writes.settle(keys.url_key(url), job.id, writes.settle_ttl(job)))
    finally:
        publish.announce(job.connection, job.id, publish.END)


class ResultTooLarge(ValueError):
    """A job's result is over ``RQ_POLL['MAX_RESULT_BYTES']``; the job fails with this."""


def on_success(job: Job, connection: Any, result: Any, *args: Any, **kwargs: Any) -> None:
    try:
        stored = job.serializer.dumps(result)
    except Exception as exc:
        raise TypeError(
            f"{job.func_name} returned a {type(result).__name__} that the queue's serializer "
            f"cannot store ({exc}). Return plain data (for JSON: dicts, lists, strings, "
            "numbers) or switch the queue's SERIALIZER."
        ) from exc
    limit, name = conf.MAX_RESULT_BYTES, "RQ_POLL['MAX_RESULT_BYTES']"
    server = backends.server_result_limit(connection)
    if server is not None and (limit is None or server < limit):
        limit, name = server, "what the server's proto-max-bulk-len lets rq store"
    if limit is not None and len(stored) > limit:
        raise ResultTooLarge(
            f"{job.func_name} returned a {type(result).__name__} of {len(stored):,} bytes "
            f"once serialized, over {name} ({limit:,}); it was not stored. Keep large "
            "outputs elsewhere (a file, object storage) and return a reference to them, "
            "or raise the limit."
        )
    _call_theirs("success", job, connection, result, *args, **kwargs)
    _settle(job)


def on_failure(job: Job, connection: Any, *exc_info: Any, **kwargs: Any) -> None:
    try:
        _call_theirs("failure", job, connection, *exc_info, **kwargs)
    finally:
        # rq calls this before deciding on a retry: a job with retries left goes back
        # to the queue, and its mapping must not start expiring while it waits
        # (retries_left is None, or a count rq never takes below 0).
        if not job.retries_left:
            _settle(job)


def on_stopped(job: Job, connection: Any, *args: Any, **kwargs: Any) -> None:
    try:
        _call_theirs("stopped", job, connection, *args, **kwargs)
    finally:
        _settle(job)
