"""The same task through both backends (``python -m bench.djtasks``)."""

from __future__ import annotations

from django_rq_poll.backends.compat import task


def _summary(n: int) -> dict[str, int]:
    return {"n": n, "square": n * n, "cube": n**3}


summary = task(_summary)
summary_tasks_rq = task(backend="tasks_rq")(_summary)
