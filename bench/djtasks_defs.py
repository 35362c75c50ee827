"""The same task through both backends (``python -m bench.djtasks``): each backend's
task is a module-level function of its own, as both backends import tasks by name."""

from __future__ import annotations

from django_rq_poll.backends.compat import task


@task
def summary(n: int) -> dict[str, int]:
    return {"n": n, "square": n * n, "cube": n**3}


@task(backend="tasks_rq")
def summary_tasks_rq(n: int) -> dict[str, int]:
    return {"n": n, "square": n * n, "cube": n**3}
