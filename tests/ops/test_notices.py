"""What staff are told when a worker could not read the job it took (rq's
DeserializationError), read from the failure's error text alone."""

from __future__ import annotations

import pickle

import pytest
import rq.serializers

from django_rq_poll.core.wait import Wait
from django_rq_poll.ops.notices import (
    RQ_DEFAULT_SERIALIZER,
    dotted_path,
    no_worker_notice,
    unreadable_job_notice,
)

TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "rq/job.py", line 1, in _deserialize_data\n'
    "rq.exceptions.DeserializationError: ('Could not deserialize the job', ...)\n"
)


def test_the_notice_names_the_queue_its_serializer_and_the_command():
    assert unreadable_job_notice(TRACEBACK, "json") == (
        "The worker could not read this job: it was started without the serializer of the "
        "queue “json” (rq.serializers.JSONSerializer), or without the code of the job's "
        "arguments. Start its workers with: python manage.py rqworker json --serializer "
        "rq.serializers.JSONSerializer"
    )


def test_a_job_without_a_queue_name_is_the_polling_queues():
    notice = unreadable_job_notice(TRACEBACK, "")
    assert notice is not None
    assert "the queue “default” (rq.serializers.DefaultSerializer)" in notice
    assert notice.endswith("Start its workers with: python manage.py rqworker default")


def test_only_the_last_line_of_the_error_counts():
    """The error a job failed with is its traceback's last line."""
    assert unreadable_job_notice("rq.exceptions.DeserializationError: x", "json") is not None
    assert unreadable_job_notice(TRACEBACK + "ValueError: raised later\n", "json") is None


@pytest.mark.parametrize("error", [None, "", "  \n", "ValueError: the task's own error"])
def test_any_other_failure_says_nothing(error):
    assert unreadable_job_notice(error, "json") is None


@pytest.mark.parametrize(
    ("serializer", "path"),
    [
        (rq.serializers.JSONSerializer, "rq.serializers.JSONSerializer"),
        (rq.serializers.JSONSerializer(), "rq.serializers.JSONSerializer"),  # its class
        (pickle, "pickle"),  # a module: its own name
        (rq.serializers.DefaultSerializer, RQ_DEFAULT_SERIALIZER),
        (None, RQ_DEFAULT_SERIALIZER),  # no serializer: rq's default
    ],
)
def test_a_serializer_is_named_as_rqworker_serializer_takes_it(serializer, path):
    assert dotted_path(serializer) == path


def test_staff_are_told_to_start_a_worker_only_when_the_queue_has_none():
    assert no_worker_notice(None) is None  # not queued: nothing to wait for
    assert no_worker_notice(Wait("default", 3, 1)) is None
    assert no_worker_notice(Wait("default", 3, 2)) is None
    assert no_worker_notice(Wait("default", 3, 0)) == (
        "No worker is listening on the queue “default”, so this job waits until one "
        "starts. Start one with: python manage.py rqworker default"
    )
