"""The tally is per test: a wrong answer fails its own test, never a later one, and a
test that records a wrong answer fails even when it forgets to assert its tally.

Run in a pytest of its own (a subprocess), since the outcome under test is a test failing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET

from tests.faults.tally import ROOT

INNER_CONFTEST = """
from tests.faults.tally_plugin import pytest_runtest_call, tally
"""
INNER_TESTS = """
def test_a_wrong_answer(tally):
    tally.answer("kind", False, "wrong")
    tally.assert_clean("kind")

def test_a_later_right_answer(tally):
    tally.answer("kind", True)
    tally.assert_clean("kind")

def test_forgets_to_assert(tally):
    tally.answer("other kind", False, "never asserted")

def test_only_right_answers(tally):
    tally.answer("other kind", True)
"""


def test_one_wrong_answer_fails_only_its_own_test(tmp_path):
    (tmp_path / "conftest.py").write_text(INNER_CONFTEST)
    (tmp_path / "test_inner.py").write_text(INNER_TESTS)
    report = tmp_path / "report.xml"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:django",
            "-p",
            "no:cacheprovider",
            "-q",
            f"--junitxml={report}",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": ROOT},
        capture_output=True,
        check=False,
    )
    outcomes = {
        case.get("name"): "failed" if case.find("failure") is not None else "passed"
        for case in ET.parse(report).iter("testcase")
    }
    assert outcomes == {
        "test_a_wrong_answer": "failed",
        "test_a_later_right_answer": "passed",
        "test_forgets_to_assert": "failed",
        "test_only_right_answers": "passed",
    }
