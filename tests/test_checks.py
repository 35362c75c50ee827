from __future__ import annotations

import pytest
from django.core.checks import run_checks

from tests.redis_server import written


def ids(settings_value):
    return sorted({m.id for m in run_checks() if m.id.startswith("django_rq_poll")})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"QUEUE": "default"}, []),
        ({}, []),
        ("default", ["django_rq_poll.E001"]),
        ({"QUEUE": "default", "COLOUR": 1}, ["django_rq_poll.E002"]),
        ({"QUEUE": "missing"}, ["django_rq_poll.E003"]),
        ({"RESULT_TTL": 0}, ["django_rq_poll.E004"]),
        ({"RESULT_TTL": "10"}, ["django_rq_poll.E004"]),
        ({"RESULT_TTL": -1, "FAILURE_TTL": 60}, []),
        ({"FAILURE_TTL": None}, ["django_rq_poll.E005"]),
        ({"FAILURE_TTL": -5}, ["django_rq_poll.E005"]),
        ({"PREFIX": ""}, ["django_rq_poll.E006"]),
        ({"PREFIX": "a b"}, ["django_rq_poll.E006"]),
        ({"POLL_INTERVAL": 0}, ["django_rq_poll.E007"]),
        ({"POLL_MAX_INTERVAL": True}, ["django_rq_poll.E007"]),
        ({"RETRY_AFTER": 30}, []),
        ({"RETRY_AFTER": 0}, ["django_rq_poll.E008"]),
        ({"RETRY_AFTER": 2.5}, ["django_rq_poll.E008"]),
        ({"MAX_ACTIVE_JOBS": None, "QUEUED_TTL": None, "MAX_QUEUE_LENGTH": None}, []),
        ({"MAX_ACTIVE_JOBS": 0}, ["django_rq_poll.E010"]),
        ({"MAX_ACTIVE_JOBS": "10"}, ["django_rq_poll.E010"]),
        ({"VISITOR_KEY": "tests.abuse.helpers.client_ip"}, []),
        ({"VISITOR_KEY": "tests.abuse.helpers.nothing_here"}, ["django_rq_poll.E011"]),
        ({"VISITOR_KEY": 3}, ["django_rq_poll.E011"]),
        ({"QUEUED_TTL": -1}, ["django_rq_poll.E012"]),
        ({"QUEUED_TTL": 1.5}, ["django_rq_poll.E012"]),
        ({"ANONYMOUS_FAILURE_TTL": 0}, ["django_rq_poll.E013"]),
        ({"ANONYMOUS_FAILURE_TTL": -1}, []),
        ({"MAX_QUEUE_LENGTH": True}, ["django_rq_poll.E014"]),
        ({"MAX_URL_LENGTH": None}, ["django_rq_poll.E015"]),
        ({"MAX_URL_LENGTH": 0}, ["django_rq_poll.E015"]),
    ],
)
def test_settings_checks(settings, value, expected):
    settings.RQ_POLL = value
    assert ids(value) == expected


def test_messages_say_what_to_do(settings):
    settings.RQ_POLL = {"QUEUE": "missing"}
    (message,) = [m for m in run_checks() if m.id == "django_rq_poll.E003"]
    assert "'missing'" in message.msg
    assert "default" in message.hint


def test_prefix_setting_moves_every_key(settings, redis_db, url):
    import django_rq_poll as poll
    from tests import tasks

    settings.RQ_POLL = {"PREFIX": "elsewhere"}
    poll.begin_process(tasks.add, (1, 2), polling_url=url)
    ours = [k for k in written(redis_db) if not k.startswith(b"rq:")]
    assert ours
    assert all(k.startswith(b"elsewhere:url:") for k in ours)
