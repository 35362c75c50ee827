"""ProcessFailed says the task's own message, and keeps the job's id (issue 19)."""

from __future__ import annotations

import pytest

import django_rq_poll as poll
from tests import tasks
from tests.madrona_app.analysis import prioritize

pytestmark = pytest.mark.usefixtures("side")


def test_text_is_the_tasks_message(url, run_jobs):
    task_id = poll.begin_process(tasks.fail, ("the polygon is too small",), polling_url=url)
    run_jobs()
    with pytest.raises(poll.ProcessFailed) as info:
        poll.get_process_result(url)
    failed = info.value
    assert str(failed) == "the polygon is too small"  # 0.2.0: "Process <id> failed: ..."
    assert (failed.task_id, failed.exc_type) == (task_id, "RuntimeError")
    assert failed.message == "the polygon is too small" and "Traceback" in failed.error


def test_the_apps_own_class_is_named_apart_from_the_text(url, run_jobs):
    poll.begin_process(prioritize, ([-7],), polling_url=url)
    run_jobs()
    with pytest.raises(poll.ProcessFailed) as info:
        poll.get_process_result(url)
    assert str(info.value) == "planning unit -7 is outside the study region"
    assert info.value.exc_type == "tests.madrona_app.analysis.StudyRegionError"


def test_a_failure_with_no_message_says_its_class(url, run_jobs):
    poll.begin_process(tasks.fail, ("",), polling_url=url)
    run_jobs()
    with pytest.raises(poll.ProcessFailed, match=r"^RuntimeError$"):
        poll.get_process_result(url)
