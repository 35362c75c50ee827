"""What the core may use of a queue's backend: names, serializers, caches, rq's sync calls.

:class:`django_rq_poll.drivers.backends.Backend` is the one implementation; the core
names only this protocol, so it never imports a driver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from rq.job import Job
from rq.queue import Queue

if TYPE_CHECKING:
    from .ops import Program

T = TypeVar("T")


class Home(Protocol):
    """One queue of ``RQ_QUEUES``, on the Redis that keeps the URL mappings."""

    queue: Queue
    #: Where its client connects, for error messages (never a password).
    where: str
    #: The lookup script's (SHA, source) under the settings it was built with.
    lookup_script: tuple[bytes, str]

    def serializer_of(self, origin: bytes) -> Any:
        """The serializer of the job's own queue (``origin``), this one's by default."""

    def other(self, queue_name: str | None) -> Home | None:
        """Another configured queue's backend; ``None`` for one this site lacks."""

    def for_queue(self, queue_name: str | None) -> Home:
        """The backend to enqueue on: it must share this one's Redis (raises
        ``ImproperlyConfigured`` naming the problem otherwise)."""

    def run(self, program: Program[T]) -> T:
        """Run a program now with the synchronous driver: for what Django or rq call
        synchronously (a commit's enqueue, a job's callbacks)."""

    def remembered_worker_count(self) -> int | None:
        """Workers on this queue counted a moment ago, or ``None``."""

    def remember_worker_count(self, count: int) -> int:
        """Keep a fresh count for a moment (pages polled by many ask once)."""

    # rq's synchronous API: run as Blocking operations (in a thread on the async side).
    def fetch_job(self, task_id: str) -> Job | None:
        """The rq Job, read with its own queue's serializer; ``None`` when gone."""

    def cancel_job(self, job: Job) -> bool:
        """Cancel a queued job; ``False`` when it vanished, changed or was canceled."""

    def stop_job(self, job: Job) -> bool:
        """Ask the worker running the job to stop it; ``False`` when it is not running."""

    def delete_job(self, job: Job) -> bool:
        """Delete the job, its registry entries and results; ``False`` when gone."""

    def enqueue_inline(self, job: Job) -> None:
        """Enqueue on an ``is_async=False`` queue: rq runs the job inside the call."""
