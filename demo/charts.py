"""A bar chart drawn as inline SVG on the server: no JavaScript, no chart library."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

WIDTH, HEIGHT = 680, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 44
SALES, COSTS, PROFIT = "#3b82f6", "#f59e0b", "#059669"
TEXT = "#374151"


def _join(parts: Iterable[SafeString]) -> SafeString:
    return format_html_join("", "{}", ((p,) for p in parts))


def _n(value: float) -> str:
    """Coordinates with one decimal (format_html escapes its arguments to text first)."""
    return f"{value:.1f}"


def _axis(values: Sequence[float], most_ticks: int = 6) -> tuple[int, int]:
    """A round step and an axis top (a multiple of it) just above the largest value."""
    largest = max([*values, 1])
    magnitude = 10 ** max(0, math.floor(math.log10(largest / most_ticks)))
    for factor in (1, 2, 2.5, 5, 10):
        step = int(factor * magnitude) or 1
        ticks = math.ceil(largest / step)
        if ticks <= most_ticks:
            return step, step * ticks
    raise AssertionError("unreachable: a step of 10x the magnitude always fits")


def sales_chart(rows: Sequence[dict[str, Any]], title: str) -> SafeString:
    """Sales and costs as bars per month, profit as a line."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step, top = _axis([r["sales"] for r in rows] + [r["costs"] for r in rows])
    slot = plot_w / max(len(rows), 1)
    bar = slot * 0.32

    def y(value: float) -> str:
        return _n(TOP + plot_h - plot_h * value / top)

    def height(value: float) -> str:
        return _n(plot_h * value / top)

    grid = [
        format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#e5e7eb"/>'
            '<text x="{}" y="{}" text-anchor="end" font-size="11" fill="#6b7280">{}</text>',
            LEFT,
            y(v),
            WIDTH - RIGHT,
            y(v),
            LEFT - 6,
            _n(float(y(v)) + 4),
            v,
        )
        for v in range(0, top + 1, step)
    ]
    marks = []
    points = []
    for i, row in enumerate(rows):
        x0 = LEFT + i * slot + slot * 0.16
        for offset, key, colour in ((0.0, "sales", SALES), (bar, "costs", COSTS)):
            marks.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{} {}: {}</title></rect>",
                    _n(x0 + offset),
                    y(row[key]),
                    _n(bar),
                    height(row[key]),
                    colour,
                    row["month"],
                    key,
                    row[key],
                )
            )
        centre = _n(LEFT + (i + 0.5) * slot)
        points.append(f"{centre},{y(max(row['profit'], 0))}")
        marks.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle" font-size="11" fill="{}">{}</text>',
                centre,
                HEIGHT - BOTTOM + 16,
                TEXT,
                row["month"],
            )
        )
    legend = [
        format_html(
            '<rect x="{}" y="{}" width="10" height="10" fill="{}"/>'
            '<text x="{}" y="{}" font-size="12" fill="{}">{}</text>',
            LEFT + 110 * i,
            HEIGHT - 14,
            colour,
            LEFT + 110 * i + 14,
            HEIGHT - 5,
            TEXT,
            name,
        )
        for i, (name, colour) in enumerate(
            ((gettext("Sales"), SALES), (gettext("Costs"), COSTS), (gettext("Profit"), PROFIT))
        )
    ]
    profit_line = format_html(
        '<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5"/>',
        " ".join(points),
        PROFIT,
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}{}{}{}</svg>',
        WIDTH,
        HEIGHT,
        title,
        title,
        _join(grid),
        _join(marks),
        profit_line,
        _join(legend),
    )
