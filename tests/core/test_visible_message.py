"""A TaskError's message, read back from the job's stored error text for every visitor
(the failure page shows it; any other failure's text is for staff only)."""

from __future__ import annotations

import pytest

import django_rq_poll as poll
from django_rq_poll import TaskError
from django_rq_poll.core.snapshot import visible_message
from tests import tasks


def explain_after(first: str, second: str) -> None:
    """A TaskError raised while handling another: the traceback names both."""
    try:
        raise TaskError(first)
    except TaskError:
        raise TaskError(second)  # noqa: B904  # the chained traceback is the point


def _stored_error(run_jobs, func, *args) -> str:
    task_id = poll.begin_process(func, args)
    run_jobs()
    with pytest.raises(poll.ProcessFailed) as info:
        poll.get_process_result(task_id=task_id)
    return info.value.error


def test_the_message_of_a_task_error_is_visible(run_jobs):
    error = _stored_error(run_jobs, tasks.refuse_politely, "The polygon is too small.")
    assert visible_message(error) == "The polygon is too small."


def test_the_last_task_error_of_a_chain_is_the_one_shown(run_jobs):
    error = _stored_error(run_jobs, explain_after, "first reason", "the reason shown")
    assert error.count("django_rq_poll.exceptions.TaskError: ") == 2
    assert visible_message(error) == "the reason shown"


def test_a_long_message_is_cut_at_1000_characters(run_jobs):
    error = _stored_error(run_jobs, tasks.refuse_politely, "y" * 1500)
    assert visible_message(error) == "y" * 1000


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_empty_message_shows_nothing(run_jobs, reason):
    assert visible_message(_stored_error(run_jobs, tasks.refuse_politely, reason)) is None


def test_any_other_failure_shows_nothing(run_jobs):
    assert visible_message(_stored_error(run_jobs, tasks.fail, "secret detail")) is None
    assert visible_message(None) is None
    assert visible_message("") is None
