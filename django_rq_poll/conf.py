"""The ``RQ_POLL`` setting, read lazily so that ``override_settings`` just works."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Queue (a key of RQ_QUEUES) for jobs, and whose Redis keeps the URL mappings.
    "QUEUE": "default",
    # Prefix of every Redis key this app writes.
    "PREFIX": "rq_poll",
    # Seconds a finished job's result (and its URL mapping) is kept; None means
    # django-rq's DEFAULT_RESULT_TTL for the queue if set, else one day. -1 keeps it forever.
    "RESULT_TTL": None,
    # Seconds a failed, stopped or canceled job (and its mapping) is kept; -1 forever.
    "FAILURE_TTL": 24 * 60 * 60,
    # Seconds between two polls of a "still running" page.
    "POLL_INTERVAL": 2,
    # Longest pause between polls once the script has backed off.
    "POLL_MAX_INTERVAL": 15,
    # Seconds a page asks the browser to wait (Retry-After) when Redis is unreachable,
    # a visitor is over MAX_ACTIVE_JOBS, or the queue is over MAX_QUEUE_LENGTH.
    "RETRY_AFTER": 10,
    # Offer push (a stream of Server-Sent Events) to pages served under ASGI.
    "PUSH": True,
    # Seconds between two lookups of a job that a stream makes on its own, so that a job
    # whose worker died (and announced nothing) still ends on the page.
    "PUSH_RECHECK": 5,
    # Seconds between two keep-alive comments on an idle stream (proxies cut silent ones).
    "PUSH_HEARTBEAT": 15,
    # Event streams one visitor may hold open at once in a process; None: no cap.
    "MAX_STREAMS": 30,
    # Queued or running jobs one visitor may have at once (pages); None: no cap.
    "MAX_ACTIVE_JOBS": 10,
    # Dotted path of a function(request) -> str naming an anonymous visitor; None: REMOTE_ADDR.
    "VISITOR_KEY": None,
    # Seconds a job may wait in the queue before rq discards it (rq's ttl); None: for ever.
    "QUEUED_TTL": 600,
    # Seconds an anonymous visitor's failed job is kept (pages); -1 forever.
    "ANONYMOUS_FAILURE_TTL": 300,
    # Seconds a finished job started by an anonymous visitor's page keeps its result.
    "ANONYMOUS_RESULT_TTL": 600,
    # Jobs waiting in the queue past which pages refuse new work with a 503; None: no limit.
    "MAX_QUEUE_LENGTH": 1000,
    # Longest polling URL (and page URL) in characters: 414 on pages, ValueError in the API.
    "MAX_URL_LENGTH": 2048,
    # Largest result, in bytes once serialized, that a worker stores; larger ones fail.
    "MAX_RESULT_BYTES": 16 * 1024 * 1024,
}

RQ_DEFAULT_RESULT_TTL = 500
# What begin_process gives a finished job when neither RQ_POLL nor django-rq names a
# lifetime: a day, as Celery keeps results. rq's own 500 s is no cache: a result nobody
# opened within eight minutes would be gone. docs/deployment.rst gives its memory cost.
DEFAULT_RESULT_TTL = 24 * 60 * 60


class Settings:
    """Typed, lazy view of ``settings.RQ_POLL`` merged over :data:`DEFAULTS`."""

    @property
    def raw(self) -> dict[str, Any]:
        """``settings.RQ_POLL`` as given (the system checks report a non-dict value)."""
        value = getattr(settings, "RQ_POLL", {})
        return value if isinstance(value, dict) else {}

    def _get(self, name: str) -> Any:
        return self.raw.get(name, DEFAULTS[name])

    @property
    def QUEUE(self) -> str:
        """The queue (a key of ``RQ_QUEUES``) jobs go to unless ``begin_process(queue=...)``
        names another one. Its Redis database also holds the URL mappings, so every queue
        used for polling must live on that same Redis database."""
        return str(self._get("QUEUE"))

    @property
    def PREFIX(self) -> str:
        """Prefix of every Redis key this app writes (``<PREFIX>:url:<sha256 of the URL>``).
        Give two sites that share one Redis database different prefixes."""
        return str(self._get("PREFIX"))

    @property
    def RESULT_TTL(self) -> int | None:
        """Seconds a finished job's result, and the URL mapping that finds it, are kept.
        ``None`` (the default) takes django-rq's ``DEFAULT_RESULT_TTL`` (of the queue in
        ``RQ_QUEUES``, else of the ``RQ`` setting) when one is set, else one day
        (``conf.DEFAULT_RESULT_TTL``, Celery's default; rq's own 500 s is too short for a
        cache of results); ``-1`` keeps them forever. ``0`` is refused by the system
        checks (no result would be left for the page to show)."""
        value = self._get("RESULT_TTL")
        return None if value is None else int(value)

    @property
    def FAILURE_TTL(self) -> int:
        """Seconds a failed, stopped or canceled job and its URL mapping are kept, so that
        :func:`process_has_failed` and :func:`get_process_result` can report the failure;
        ``-1`` keeps them forever. Far below rq's own default of one year: a failed job's
        results stream gets no expiry of its own. (:func:`check_status_or_begin` starts a
        new job over a failed or canceled one whatever this says.)"""
        return int(self._get("FAILURE_TTL"))

    @property
    def POLL_INTERVAL(self) -> float:
        """Seconds between two polls of a "still running" page."""
        return float(self._get("POLL_INTERVAL"))

    @property
    def POLL_MAX_INTERVAL(self) -> float:
        """Longest pause, in seconds, between two polls once the page has backed off."""
        return float(self._get("POLL_MAX_INTERVAL"))

    @property
    def RETRY_AFTER(self) -> int:
        """Seconds sent in ``Retry-After`` with the 503 page shown while Redis is unreachable,
        and with the 429 and 503 pages of ``MAX_ACTIVE_JOBS`` and
        ``MAX_QUEUE_LENGTH``; those pages reload themselves after that long."""
        return int(self._get("RETRY_AFTER"))

    @property
    def MAX_RESULT_BYTES(self) -> int | None:
        """The largest result a worker stores, in bytes as the queue's serializer writes
        it (Redis keeps it base64-encoded, a third larger). A job whose result is larger
        fails with a ``ResultTooLarge`` error saying so, instead of being written: a
        value over Redis' ``proto-max-bulk-len`` (512 MB) can never be written, and rq's
        worker then retries the write without end. ``None`` sets no limit of our own.
        Store large outputs elsewhere (a file, object storage) and return a reference."""
        value = self._get("MAX_RESULT_BYTES")
        return None if value is None else int(value)

    @property
    def PUSH(self) -> bool:
        """Offer pages served under ASGI a stream of the job's changes (Server-Sent
        Events) instead of polling. Pages served under WSGI always poll: a stream would
        hold a worker thread per waiting browser."""
        return bool(self._get("PUSH"))

    @property
    def PUSH_RECHECK(self) -> float:
        """Seconds between two lookups a stream makes on its own, besides the ones the
        job's announcements trigger: the longest a page waits to learn that a job's
        work-horse was killed, or while the pub/sub connection is lost."""
        return float(self._get("PUSH_RECHECK"))

    @property
    def PUSH_HEARTBEAT(self) -> float:
        """Seconds between two keep-alive comments on a stream with nothing to say."""
        return float(self._get("PUSH_HEARTBEAT"))

    @property
    def MAX_STREAMS(self) -> int | None:
        """Event streams one visitor (a logged-in user, else ``VISITOR_KEY``'s key) may
        hold open at once in one server process; one more answers 429 with
        ``Retry-After`` (the page polls meanwhile). Each open stream holds a socket and a
        file descriptor: see :doc:`guarantees` for what a process can hold. ``None``
        removes the cap."""
        value = self._get("MAX_STREAMS")
        return None if value is None else int(value)

    @property
    def MAX_ACTIVE_JOBS(self) -> int | None:
        """Jobs one visitor may have queued or running at once through the polling pages
        (and through :func:`check_status_or_begin` / :func:`begin_process` called with
        ``visitor=``). A page that would start one more answers 429 with ``Retry-After``
        and starts nothing. A visitor is a logged-in user, else the key of
        ``VISITOR_KEY``. The count is exact under concurrent requests, and a job leaves it
        as soon as it finishes, fails, is canceled, expires from the queue or its worker
        dies. ``None`` removes the cap."""
        value = self._get("MAX_ACTIVE_JOBS")
        return None if value is None else int(value)

    @property
    def VISITOR_KEY(self) -> str | None:
        """Dotted path of a function ``(request) -> str`` that names an anonymous visitor
        for ``MAX_ACTIVE_JOBS``. ``None`` uses ``REMOTE_ADDR``, which behind a reverse
        proxy is the proxy's address: there, return the client address your proxy
        sets (see :doc:`deployment`). Logged-in users are counted by their user id."""
        value = self._get("VISITOR_KEY")
        return None if value is None else str(value)

    @property
    def QUEUED_TTL(self) -> int | None:
        """Seconds a job started for a visitor (by a page, or by the API with
        ``visitor=``) may wait in the queue before rq discards it (rq's ``ttl``), unless
        ``ttl=`` says otherwise. Its URL mapping gets the same lifetime plus the job's
        timeout, so a flood of requests drains by itself; a page whose job expired
        unstarted starts it again when next requested, and its URL reads as unknown
        meanwhile, never as failed. Jobs started without a visitor wait for ever unless
        given a ``ttl``: no work of a model's ``save()`` or a command is dropped because
        the workers were busy. ``None`` keeps every queued job for ever."""
        value = self._get("QUEUED_TTL")
        return None if value is None else int(value)

    @property
    def ANONYMOUS_FAILURE_TTL(self) -> int:
        """Seconds a failed, stopped or canceled job started by an anonymous visitor's page
        (and its URL mapping) is kept, in place of ``FAILURE_TTL``: long enough to show the
        failure page and its "try again" form, short enough that anonymous requests cannot
        pile failed jobs up for a day. ``-1`` keeps them forever."""
        return int(self._get("ANONYMOUS_FAILURE_TTL"))

    @property
    def ANONYMOUS_RESULT_TTL(self) -> int:
        """Seconds the result of a job started by an anonymous visitor's page (and its URL
        mapping) is kept, in place of ``RESULT_TTL`` (a day): what one anonymous client
        can make Redis keep is what its jobs finish in this time, not in a day. A visitor
        who comes back later starts the work again. ``-1`` keeps them forever."""
        return int(self._get("ANONYMOUS_RESULT_TTL"))

    @property
    def MAX_QUEUE_LENGTH(self) -> int | None:
        """Load shedding: while this many jobs or more wait in the queue, a page that would
        start a job answers 503 with ``Retry-After`` instead of queueing it (so do
        :func:`check_status_or_begin` and :func:`begin_process` called with
        ``visitor=``, raising :class:`QueueFull`). Pages whose job is already queued or
        running are unaffected. ``None`` never sheds."""
        value = self._get("MAX_QUEUE_LENGTH")
        return None if value is None else int(value)

    @property
    def MAX_URL_LENGTH(self) -> int:
        """Longest polling URL, in characters. :func:`begin_process` and
        :func:`check_status_or_begin` raise ``ValueError`` for a longer one; a polling page
        whose URL or polling key is longer answers 414 without touching Redis."""
        return int(self._get("MAX_URL_LENGTH"))


conf = Settings()
