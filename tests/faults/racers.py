"""Body of the racing processes (spawned, so each sets Django up like a web process)."""

from __future__ import annotations

import os
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
