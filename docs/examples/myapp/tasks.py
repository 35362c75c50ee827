"""Tasks are plain module-level functions: a worker imports them by name."""

import time

from django_rq_poll import set_progress


def add(x, y):
    return x + y


def slow_report(steps):
    rows = []
    for step in range(1, steps + 1):
        time.sleep(0.01)  # the slow part: a query, a model run, a file to build
        rows.append({"step": step, "square": step * step})
        set_progress(step, steps, f"step {step} of {steps}")
    return rows  # plain data: it is stored in Redis for the page to show


def explode():
    raise RuntimeError("the survey data is missing")
