"""Racers: processes (spawned, so each sets Django up like a web process) and threads."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any


def race(rounds: list[str], barrier: Any, results: Any) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    import django_rq_poll as poll
    from tests import tasks

    for url in rounds:
        barrier.wait(timeout=60)
        try:
            text = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
            results.put((url, text.task_id, text.started, None))
        except Exception as exc:
            results.put((url, None, False, repr(exc)))


def release_together(count: int, *calls: Callable[[], Any]) -> list[Any]:
    """Run ``count`` threads released by one barrier; each answer, or the exception raised.

    One call is run by every thread, or one call per thread.
    """
    assert len(calls) in (1, count)
    barrier = threading.Barrier(count)
    answers: list[Any] = [None] * count

    def run(index: int) -> None:
        call = calls[index % len(calls)]
        try:
            barrier.wait(timeout=60)
            answers[index] = call()
        except Exception as exc:
            answers[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers
