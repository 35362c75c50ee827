from __future__ import annotations

import pytest
from django.apps import apps
from django.core.checks import WARNING
from django.core.checks import run_checks as run_all_checks

from tests.redis_server import written


def run_checks():
    """The checks of this app only: under Django 6 the model checks of the test apps
    (a JSONField) ask the database, which these tests do not open."""
    return run_all_checks(app_configs=[apps.get_app_config("django_rq_poll")])


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
        ({"PUSH": "yes"}, ["django_rq_poll.E020"]),
        ({"PUSH_RECHECK": 0}, ["django_rq_poll.E021"]),
        ({"PUSH_HEARTBEAT": "15"}, ["django_rq_poll.E021"]),
        ({"MAX_ACTIVE_JOBS": None, "QUEUED_TTL": None, "MAX_QUEUE_LENGTH": None}, []),
        ({"MAX_ACTIVE_JOBS": 0}, ["django_rq_poll.E010"]),
        ({"MAX_ACTIVE_JOBS": "10"}, ["django_rq_poll.E010"]),
        ({"VISITOR_KEY": "mysite.visitors.client_ip"}, []),
        ({"VISITOR_KEY": "mysite.visitors.nothing_here"}, ["django_rq_poll.E011"]),
        ({"VISITOR_KEY": 3}, ["django_rq_poll.E011"]),
        ({"QUEUED_TTL": -1}, ["django_rq_poll.E012"]),
        ({"QUEUED_TTL": 1.5}, ["django_rq_poll.E012"]),
        ({"ANONYMOUS_FAILURE_TTL": 0}, ["django_rq_poll.E013"]),
        ({"ANONYMOUS_FAILURE_TTL": -1}, []),
        ({"ANONYMOUS_RESULT_TTL": 0}, ["django_rq_poll.E023"]),
        ({"ANONYMOUS_RESULT_TTL": -1}, []),
        ({"MAX_QUEUE_LENGTH": True}, ["django_rq_poll.E014"]),
        ({"MAX_STREAMS": None}, []),
        ({"MAX_STREAMS": 0}, ["django_rq_poll.E022"]),
        ({"MAX_STREAMS": "30"}, ["django_rq_poll.E022"]),
        ({"MAX_URL_LENGTH": None}, ["django_rq_poll.E015"]),
        ({"MAX_URL_LENGTH": 0}, ["django_rq_poll.E015"]),
        ({"MAX_RESULT_BYTES": None}, []),
        ({"MAX_RESULT_BYTES": 1024}, []),
        ({"MAX_RESULT_BYTES": 0}, ["django_rq_poll.E016"]),
        ({"MAX_RESULT_BYTES": "16MB"}, ["django_rq_poll.E016"]),
        ({"MAX_RESULT_BYTES": True}, ["django_rq_poll.E016"]),
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


def all_ours():
    return [m for m in run_checks() if m.id.startswith("django_rq_poll")]


def test_django_rq_missing_from_installed_apps_is_an_error(settings):
    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a != "django_rq"]
    (message,) = all_ours()
    assert message.id == "django_rq_poll.E009"
    assert "'django_rq'" in message.hint and "INSTALLED_APPS" in message.hint
    assert "python manage.py rqworker default" in message.hint


def test_status_endpoint_missing_from_the_urlconf_is_a_warning(settings):
    settings.ROOT_URLCONF = "tests.urls_without_status"
    (message,) = all_ours()
    assert message.id == "django_rq_poll.W001"
    assert message.level == WARNING
    assert 'path("rq-poll/", include("django_rq_poll.urls"))' in message.hint
    assert "tests.urls_without_status" in message.hint


@pytest.mark.parametrize(
    ("value", "queues"),
    [
        ("default", None),
        ({"QUEUE": "default", "COLOUR": 1}, None),
        ({"QUEUE": "missing"}, None),
        ({"QUEUE": "default"}, {}),
        ({"RESULT_TTL": 0}, None),
        ({"FAILURE_TTL": None}, None),
        ({"PREFIX": ""}, None),
        ({"POLL_INTERVAL": 0}, None),
        ({"RETRY_AFTER": 0}, None),
        ({"MAX_RESULT_BYTES": 0}, None),
    ],
)
def test_every_hint_is_a_sentence_that_says_what_to_change(settings, value, queues):
    settings.RQ_POLL = value
    if queues is not None:
        settings.RQ_QUEUES = queues
    (message,) = all_ours()
    hint = message.hint
    assert hint.split()[0] in {"Set", "Define", "Remove", "Add"}, hint
    assert hint.endswith("."), hint
    assert "(RQ_QUEUES is empty)" not in hint and "Use one of" not in hint


def test_empty_rq_queues_hint_shows_a_queue_to_define(settings):
    settings.RQ_QUEUES = {}
    (message,) = all_ours()
    assert message.id == "django_rq_poll.E003"
    assert "RQ_QUEUES = {'default': {'URL': 'redis://127.0.0.1:6379/0'}}" in message.hint


def test_the_reference_lists_every_check():
    """docs/reference.rst promises the list of checks: a new one cannot be left out."""
    import ast
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2]
    source = (root / "django_rq_poll" / "ops" / "checks.py").read_text()
    numbers = set()
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_error":
                number = node.args[2]
                if isinstance(number, ast.Constant):
                    numbers.add(f"E{number.value:03d}")
                else:  # a loop variable: the numbers are in a literal dict of (number, ...)
                    numbers.update(
                        f"E{item.elts[0].value:03d}"
                        for table in ast.walk(function)
                        if isinstance(table, ast.Dict)
                        for item in table.values
                        if isinstance(item, ast.Tuple) and isinstance(item.elts[0], ast.Constant)
                    )
    numbers.update(re.findall(r'id="django_rq_poll\.(W\d{3})"', source))
    # The checks of TASKS backends (ops/taskchecks.py) spell their ids out.
    tasks_source = (root / "django_rq_poll" / "ops" / "taskchecks.py").read_text()
    numbers.update(re.findall(r'id="django_rq_poll\.([EW]\d{3})"', tasks_source))
    listed = set(
        re.findall(r"django_rq_poll\.([EW]\d{3})", (root / "docs" / "reference.rst").read_text())
    )
    assert numbers, "no checks found: the test no longer reads checks.py"
    assert numbers - listed == set()
    assert listed - numbers == set()


def test_the_app_registers_its_checks_when_django_starts(monkeypatch):
    """What AppConfig.ready() registers, read on a registry of its own (Django's holds
    them since the suite started): every check, and the URLconf one under the urls tag
    (``manage.py check --tag urls`` runs it)."""
    from django.core import checks
    from django.core.checks.registry import CheckRegistry

    from django_rq_poll.ops.checks import check_apps, check_settings, check_urls
    from django_rq_poll.ops.taskchecks import check_task_backends

    registry = CheckRegistry()
    monkeypatch.setattr(checks, "register", registry.register)
    apps.get_app_config("django_rq_poll").ready()
    ours = {check_settings, check_apps, check_urls, check_task_backends}
    assert set(registry.get_checks()) == ours
    assert list(check_urls.tags) == [checks.Tags.urls]
    assert all(not check.tags for check in (check_settings, check_apps, check_task_backends))
