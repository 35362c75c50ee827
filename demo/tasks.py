"""The demo's slow work. Workers import these by name, so they live at module level.

Results are plain data (dicts, lists, numbers): the demo queue uses rq's JSON serializer.
"""

from __future__ import annotations

import random
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from django_rq_poll import set_progress

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
REPORT_STEPS = [
    "Loading orders",
    "Adding up sales",
    "Adding up costs",
    "Finding the trend",
    "Drawing",
]


def add(x: int, y: int) -> int:
    """The seed's example; it sleeps a moment so the "still running" page can be seen."""
    time.sleep(2)
    return x + y


def sales_report(region: str, step_seconds: float = 1.0) -> dict[str, Any]:
    """A made-up yearly sales report for a region, built in several reported steps."""
    rng = random.Random(region)  # the same region always gives the same figures
    total = len(REPORT_STEPS)
    for done, step in enumerate(REPORT_STEPS):
        set_progress(done, total, f"{step}…")
        time.sleep(step_seconds)
    base = rng.randint(40, 90)
    rows = []
    for month in MONTHS:
        sales = base + rng.randint(-15, 30)
        costs = int(sales * rng.uniform(0.55, 0.9))
        rows.append({"month": month, "sales": sales, "costs": costs, "profit": sales - costs})
        base += rng.randint(-4, 8)
    set_progress(total, total, "Done")
    return {
        "region": region,
        "rows": rows,
        "total_sales": sum(r["sales"] for r in rows),
        "total_profit": sum(r["profit"] for r in rows),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def flaky_forecast() -> None:
    """Always fails, to show the failure page and its "try again" button."""
    set_progress(1, 3, "Asking the weather service…")
    time.sleep(1)
    raise ConnectionError("The weather service did not answer (this demo task always fails).")


def lucky_numbers(username: str) -> dict[str, Any]:
    """A result that belongs to one user: each user gets their own job and numbers."""
    time.sleep(2)
    rng = random.SystemRandom()
    return {
        "username": username,
        "numbers": sorted(rng.sample(range(1, 50), 6)),
        "token": secrets.token_hex(4),
        "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
