"""The tally's pytest side: one tally per test, checked after the test, summed for the report.

A test gets a fresh :class:`~tests.faults.tally.Tally`; a wrong answer it recorded fails
that test (even if it forgot ``assert_clean``) and is added to the session totals that
the terminal summary and ``artifacts/faults-summary.json`` show. The fixture and the
check are imported by ``tests/faults/conftest.py``; the summary's hooks by
``tests/conftest.py``, which the process that prints the summary loads also when
pytest-xdist runs the tests in workers: each worker sends its totals to it when it ends.
``tests/faults/test_tally.py`` runs this plugin in a pytest of its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from .tally import ROOT, TALLY, Tally

WORKER_OUTPUT = "rq_poll_fault_tally"


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


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In an xdist worker: hand this worker's totals to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[WORKER_OUTPUT] = TALLY.as_dict()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """In the xdist controller: add a finished worker's totals to the session's."""
    totals = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT)
    if totals:
        TALLY.merge(Tally.from_dict(totals))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not TALLY.kinds:
        return
    path = TALLY.write()
    terminalreporter.section("django-rq-poll fault injection")
    for line in TALLY.lines():
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"written to {os.path.relpath(path, ROOT)}")
