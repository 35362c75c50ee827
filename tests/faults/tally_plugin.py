"""The tally's pytest side: one tally per test, checked after the test, summed for the report.

A test gets a fresh :class:`~tests.faults.tally.Tally`; a wrong answer it recorded fails
that test (even if it forgot ``assert_clean``) and is added to the session totals that
the terminal summary and ``artifacts/faults-summary.json`` show. Imported by
``tests/faults/conftest.py``; ``tests/faults/test_tally.py`` runs it in a pytest of its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from .tally import ROOT, TALLY, Tally


@pytest.fixture
def tally() -> Iterator[Tally]:
    own = Tally()
    yield own
    TALLY.merge(own)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    result = yield
    own = getattr(item, "funcargs", {}).get("tally")
    if isinstance(own, Tally):
        own.assert_all_clean()  # the test passed: no wrong answer may have gone unasserted
    return result


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not TALLY.kinds:
        return
    path = TALLY.write()
    terminalreporter.section("django-rq-poll fault injection")
    for line in TALLY.lines():
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"written to {os.path.relpath(path, ROOT)}")
