"""Interleaved timing: every operation gets a short slice of every round.

On a shared machine the speed of Redis and of the CPU drifts during a run, sometimes
doubling a round trip for seconds at a time. Each round times every operation in
turn (in shuffled order), a ratio is taken within each round, where all operations
saw the same conditions, and the figure is the median of those per-round ratios.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


class Timings(dict[str, float]):
    """Median microseconds per call of each op, plus the per-round samples."""

    def __init__(self, samples: dict[str, list[float]]) -> None:
        super().__init__({name: statistics.median(values) for name, values in samples.items()})
        self.samples = samples

    def ratio(self, op: str, base: str) -> float:
        """Median over rounds of (op / base) within the same round."""
        pairs = zip(self.samples[op], self.samples[base], strict=True)
        return statistics.median(a / b for a, b in pairs)


def interleaved(
    ops: dict[str, Callable[[], Any]],
    *,
    rounds: int,
    iterations: int,
    max_seconds: float = 120.0,
) -> Timings:
    """Time ``iterations`` calls of each op per round, for ``rounds`` rounds."""
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
            start = time.perf_counter()
            for _ in range(iterations):
                op()
            samples[name].append((time.perf_counter() - start) / iterations * 1e6)
        if time.monotonic() > deadline:
            break
    return Timings(samples)


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
    timings: Timings,
    op: str,
    base: str = "GET",
    *,
    against: str = "GET",
    at_most: float | None = None,
    at_least: float | None = None,
    note: str = "",
) -> Figure:
    ratio = timings.ratio(op, base)
    target, meets = "", None
    if at_most is not None:
        target, meets = f"<= {at_most}x", ratio <= at_most
    if at_least is not None:
        target, meets = f">= {at_least}x", ratio >= at_least
    return Figure(name, timings[op], "us", ratio, against, target, meets, note)


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
