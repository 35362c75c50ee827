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


# What each setting check says, word for word: the message names the setting and its value,
# the hint what to set instead (docs/reference.rst lists the ids).
MESSAGES = [
    (
        "default",
        "E001",
        "RQ_POLL must be a dict, not str.",
        "Set RQ_POLL to a dict, such as {'QUEUE': 'default'}, or remove it to use the defaults.",
    ),
    (
        {"QUEUE": "missing"},
        "E003",
        "RQ_POLL['QUEUE'] is 'missing', which is not a queue in RQ_QUEUES.",
        (
            "Set RQ_POLL['QUEUE'] to a queue in RQ_QUEUES ('default', 'json', 'other', 'sync'), "
            "or add 'missing' there."
        ),
    ),
    (
        {"QUEUE": 3},
        "E003",
        "RQ_POLL['QUEUE'] is 3, which is not a queue in RQ_QUEUES.",
        (
            "Set RQ_POLL['QUEUE'] to a queue in RQ_QUEUES ('default', 'json', 'other', 'sync'), "
            "or add 3 there."
        ),
    ),
    (
        {"RESULT_TTL": 0},
        "E004",
        "RQ_POLL['RESULT_TTL'] is 0.",
        (
            "Set RQ_POLL['RESULT_TTL'] to None (django-rq's DEFAULT_RESULT_TTL, else one day), -1"
            " (keep results forever) or a number of seconds greater than 0; 0 would store no "
            "result for the page to show."
        ),
    ),
    (
        {"FAILURE_TTL": -5},
        "E005",
        "RQ_POLL['FAILURE_TTL'] is -5.",
        (
            "Set RQ_POLL['FAILURE_TTL'] to -1 (keep failures forever) or a number of seconds "
            "greater than 0, such as 86400 for a day."
        ),
    ),
    (
        {"PREFIX": "a b"},
        "E006",
        "RQ_POLL['PREFIX'] is 'a b'.",
        (
            "Set RQ_POLL['PREFIX'] to a non-empty string without spaces, such as 'rq_poll' (the "
            "default)."
        ),
    ),
    (
        {"POLL_INTERVAL": 0},
        "E007",
        "RQ_POLL['POLL_INTERVAL'] is 0.",
        (
            "Set RQ_POLL['POLL_INTERVAL'] to a number of seconds greater than 0, such as 2 (the "
            "default)."
        ),
    ),
    (
        {"POLL_MAX_INTERVAL": "5"},
        "E007",
        "RQ_POLL['POLL_MAX_INTERVAL'] is '5'.",
        (
            "Set RQ_POLL['POLL_MAX_INTERVAL'] to a number of seconds greater than 0, such as 15 "
            "(the default)."
        ),
    ),
    (
        {"RETRY_AFTER": 0},
        "E008",
        "RQ_POLL['RETRY_AFTER'] is 0.",
        (
            "Set RQ_POLL['RETRY_AFTER'] to a whole number of seconds greater than 0, such as 10 "
            "(the default); it is sent as the Retry-After header."
        ),
    ),
    (
        {"MAX_RESULT_BYTES": 0},
        "E016",
        "RQ_POLL['MAX_RESULT_BYTES'] is 0.",
        (
            "Set RQ_POLL['MAX_RESULT_BYTES'] to a whole number of bytes greater than 0, such as "
            "16777216 (the default, 16 MB; keep it well below Redis' proto-max-bulk-len of 512 "
            "MB), or to None for no limit of django-rq-poll's own."
        ),
    ),
    (
        {"PUSH": "yes"},
        "E020",
        "RQ_POLL['PUSH'] is 'yes'.",
        "Use True (pages served under ASGI stream the job's changes) or False.",
    ),
    (
        {"PUSH_RECHECK": 0},
        "E021",
        "RQ_POLL['PUSH_RECHECK'] is 0.",
        "Use a number of seconds > 0.",
    ),
    (
        {"PUSH_HEARTBEAT": 0},
        "E021",
        "RQ_POLL['PUSH_HEARTBEAT'] is 0.",
        "Use a number of seconds > 0.",
    ),
    (
        {"MAX_ACTIVE_JOBS": 0},
        "E010",
        "RQ_POLL['MAX_ACTIVE_JOBS'] is 0.",
        "Use a whole number of jobs per visitor > 0, or None for no limit.",
    ),
    (
        {"QUEUED_TTL": 0},
        "E012",
        "RQ_POLL['QUEUED_TTL'] is 0.",
        "Use a whole number of seconds a job may wait in the queue > 0, or None for no limit.",
    ),
    (
        {"MAX_QUEUE_LENGTH": 0},
        "E014",
        "RQ_POLL['MAX_QUEUE_LENGTH'] is 0.",
        "Use a whole number of queued jobs > 0, or None for no limit.",
    ),
    (
        {"MAX_STREAMS": 0},
        "E022",
        "RQ_POLL['MAX_STREAMS'] is 0.",
        "Use a whole number of streams per visitor > 0, or None for no limit.",
    ),
    (
        {"VISITOR_KEY": "mysite.nothing"},
        "E011",
        "RQ_POLL['VISITOR_KEY'] is 'mysite.nothing', which does not name a function.",
        (
            "Use the dotted path of a function taking the request and returning a string (e.g. "
            "'mysite.visitors.client_ip'), or None to use REMOTE_ADDR."
        ),
    ),
    (
        {"ANONYMOUS_FAILURE_TTL": 0},
        "E013",
        "RQ_POLL['ANONYMOUS_FAILURE_TTL'] is 0.",
        "Use -1 (keep forever) or a number of seconds > 0.",
    ),
    (
        {"ANONYMOUS_RESULT_TTL": 0},
        "E023",
        "RQ_POLL['ANONYMOUS_RESULT_TTL'] is 0.",
        "Use -1 (keep forever) or a number of seconds > 0.",
    ),
    (
        {"MAX_URL_LENGTH": 0},
        "E015",
        "RQ_POLL['MAX_URL_LENGTH'] is 0.",
        "Use a whole number of characters > 0 (the default is 2048).",
    ),
]


@pytest.mark.parametrize(("value", "number", "msg", "hint"), MESSAGES)
def test_each_settings_check_says_what_is_wrong_and_what_to_set(settings, value, number, msg, hint):
    settings.RQ_POLL = value
    (message,) = all_ours()
    assert (message.id, message.msg, message.hint) == (f"django_rq_poll.{number}", msg, hint)


def test_unknown_keys_are_named_with_every_known_key(settings):
    from django_rq_poll.conf import DEFAULTS

    settings.RQ_POLL = {"SHADE": 2, "COLOUR": 1}
    (message,) = all_ours()
    assert message.msg == "RQ_POLL has unknown key(s): COLOUR, SHADE."
    assert message.hint == (
        f"Remove them or correct their spelling; the known keys are {', '.join(sorted(DEFAULTS))}."
    )


def test_the_app_and_url_messages_say_what_is_missing(settings):
    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a != "django_rq"]
    (message,) = all_ours()
    assert message.msg == (
        "django_rq is not in INSTALLED_APPS: pages would start jobs that no rqworker command "
        "can run."
    )
    assert message.hint == (
        "Add 'django_rq' to INSTALLED_APPS next to 'django_rq_poll', then start a worker "
        "with: python manage.py rqworker default"
    )
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django_rq"]
    settings.ROOT_URLCONF = "tests.urls_without_status"
    (message,) = all_ours()
    assert message.msg == (
        "The status endpoint (django_rq_poll.urls) is not in the URLconf: running pages fall "
        "back to reloading themselves instead of asking it."
    )
    assert message.hint == (
        'Add path("rq-poll/", include("django_rq_poll.urls")) to urlpatterns in '
        "tests.urls_without_status, importing include and path from django.urls. If the site "
        "leaves it out on purpose, add 'django_rq_poll.W001' to SILENCED_SYSTEM_CHECKS."
    )


def test_the_smallest_values_each_check_allows_pass(settings):
    settings.RQ_POLL = {
        "RESULT_TTL": 1,
        "FAILURE_TTL": 1,
        "POLL_INTERVAL": 0.5,
        "POLL_MAX_INTERVAL": 0.5,
        "RETRY_AFTER": 1,
        "MAX_RESULT_BYTES": 1,
        "PUSH": False,
        "PUSH_RECHECK": 0.5,
        "PUSH_HEARTBEAT": 0.5,
        "MAX_ACTIVE_JOBS": 1,
        "QUEUED_TTL": 1,
        "MAX_QUEUE_LENGTH": 1,
        "MAX_STREAMS": 1,
        "ANONYMOUS_FAILURE_TTL": 1,
        "ANONYMOUS_RESULT_TTL": 1,
        "MAX_URL_LENGTH": 1,
        "PREFIX": "p",
        "VISITOR_KEY": None,
    }
    assert all_ours() == []


@pytest.mark.parametrize(
    ("name", "number"),
    [
        ("RESULT_TTL", "E004"),
        ("FAILURE_TTL", "E005"),
        ("PREFIX", "E006"),
        ("POLL_INTERVAL", "E007"),
        ("RETRY_AFTER", "E008"),
        ("MAX_ACTIVE_JOBS", "E010"),
        ("QUEUED_TTL", "E012"),
        ("ANONYMOUS_FAILURE_TTL", "E013"),
        ("MAX_URL_LENGTH", "E015"),
        ("PUSH_RECHECK", "E021"),
        ("ANONYMOUS_RESULT_TTL", "E023"),
    ],
)
def test_true_is_not_a_number_of_seconds_or_of_anything(settings, name, number):
    settings.RQ_POLL = {name: True}
    assert [m.id for m in all_ours()] == [f"django_rq_poll.{number}"]


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ({"PREFIX": 3}, "E006"),
        ({"RESULT_TTL": -2}, "E004"),
        ({"RESULT_TTL": 1.5}, "E004"),
        ({"POLL_INTERVAL": -1}, "E007"),
        ({"RETRY_AFTER": -1}, "E008"),
        ({"MAX_URL_LENGTH": 2.5}, "E015"),
        ({"ANONYMOUS_FAILURE_TTL": None}, "E013"),  # None is no lifetime here
        ({"ANONYMOUS_RESULT_TTL": None}, "E023"),
        ({"VISITOR_KEY": "django_rq_poll.conf.DEFAULTS"}, "E011"),  # not a function
    ],
)
def test_values_of_the_wrong_kind_or_sign(settings, value, number):
    settings.RQ_POLL = value
    assert [m.id for m in all_ours()] == [f"django_rq_poll.{number}"]


def test_a_site_without_rq_poll_uses_the_defaults(settings):
    del settings.RQ_POLL
    assert all_ours() == []


def test_a_site_without_rq_queues_is_told_to_define_the_queue(settings):
    del settings.RQ_QUEUES
    (message,) = all_ours()
    assert message.id == "django_rq_poll.E003"
    assert message.hint.endswith("RQ_QUEUES is empty or missing now.")


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
