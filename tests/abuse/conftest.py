"""The abuse tests' figures, printed at the end of the run (docs/guarantees.rst)."""

from __future__ import annotations

import json
import os
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIGURES: dict[str, Any] = {}


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not FIGURES:
        return
    path = os.path.join(ROOT, "artifacts", "abuse-figures.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as out:
        json.dump(FIGURES, out, indent=2)
    terminalreporter.section("django-rq-poll abuse figures")
    for name, figures in FIGURES.items():
        for label, value in figures.items():
            terminalreporter.write_line(f"{name}: {label}: {value}")
    terminalreporter.write_line(f"written to {os.path.relpath(path, ROOT)}")
