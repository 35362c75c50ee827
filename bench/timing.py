"""Interleaved timing: every operation gets a slice of every round, medians win.

On a shared machine the speed of Redis and of the CPU drifts during a run. Timing
each operation in turn within one round, and taking the median over rounds, makes
the ratios between operations far steadier than timing each one in a block.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


def interleaved(
    ops: dict[str, Callable[[], Any]],
    *,
    rounds: int,
    iterations: int,
    setup: dict[str, Callable[[], Any]] | None = None,
    max_seconds: float = 120.0,
) -> dict[str, float]:
    """Median microseconds per call of each op, over ``rounds`` interleaved rounds."""
    samples: dict[str, list[float]] = {name: [] for name in ops}
    for op in ops.values():  # warm up: connections, loaded scripts, caches
        for _ in range(min(50, iterations)):
            op()
    deadline = time.monotonic() + max_seconds
    order = list(ops.items())
    shuffler = random.Random(1)
    for _ in range(rounds):
        shuffler.shuffle(order)  # no op always runs right after another
        for name, op in order:
            if setup and name in setup:
                setup[name]()
            start = time.perf_counter()
            for _ in range(iterations):
                op()
            samples[name].append((time.perf_counter() - start) / iterations * 1e6)
        if time.monotonic() > deadline:
            break
    return {name: statistics.median(values) for name, values in samples.items()}


@dataclass
class Figure:
    """One line of the table."""

    name: str
    value: float
    unit: str = "us"
    ratio: float | None = None
    against: str = ""
    target: str = ""
    meets: bool | None = None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ratio_figure(
    name: str,
    micros: float,
    base: float,
    *,
    against: str = "GET",
    at_most: float | None = None,
    at_least: float | None = None,
    note: str = "",
) -> Figure:
    ratio = micros / base
    target, meets = "", None
    if at_most is not None:
        target, meets = f"<= {at_most}x", ratio <= at_most
    if at_least is not None:
        target, meets = f">= {at_least}x", ratio >= at_least
    return Figure(name, micros, "us", ratio, against, target, meets, note)


def table(figures: list[Figure]) -> str:
    rows = [("figure", "value", "ratio", "target", "meets")]
    for f in figures:
        value = f"{f.value:,.1f} {f.unit}" if f.unit else f"{f.value:,.1f}"
        ratio = f"{f.ratio:.2f}x {f.against}" if f.ratio is not None else ""
        meets = {True: "yes", False: "NO", None: ""}[f.meets]
        rows.append((f.name + (f"  ({f.note})" if f.note else ""), value, ratio, f.target, meets))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
