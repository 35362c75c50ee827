"""The analysis the worker runs: plain data in, plain data out, no database."""

from __future__ import annotations


class StudyRegionError(Exception):
    """The app's own error, as seak's ``MarxanError``: pages test ``isinstance`` on it."""


def prioritize(units: list[int]) -> dict[str, object]:
    """Pick the planning units to protect (the even ones, to keep it checkable)."""
    for unit in units:
        if unit < 0:
            raise StudyRegionError(f"planning unit {unit} is outside the study region")
    selected = sorted(u for u in units if u % 2 == 0)
    return {"selected": selected, "count": len(selected)}
