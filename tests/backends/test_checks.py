"""The system checks of TASKS backends that are RQBackend (E030, E031)."""

from __future__ import annotations

import sys

import pytest

from django_rq_poll.ops.taskchecks import check_task_backends

BACKEND = "django_rq_poll.backends.RQBackend"


def ids(settings, **params):
    settings.TASKS = {"default": {"BACKEND": BACKEND, **params}}
    return [(e.id, e.msg) for e in check_task_backends()]


def test_the_suites_settings_pass():
    assert check_task_backends() == []


def test_a_queue_not_in_rq_queues(settings):
    ((check, msg),) = ids(settings, QUEUES=["default", "nowhere"])
    assert check == "django_rq_poll.E030"
    assert "TASKS['default']['QUEUES'] names the queue 'nowhere'" in msg


def test_the_default_queues_are_djangos(settings):
    assert ids(settings) == []  # QUEUES left out: Django's ["default"]


@pytest.mark.parametrize(
    ("options", "said"),
    [
        ({"retries": 3}, "unknown option(s) retries"),
        ({"timeout": "10"}, "['timeout'] must be a whole number"),
        ({"result_ttl": True}, "['result_ttl'] must be a whole number"),
    ],
)
def test_bad_options(settings, options, said):
    ((check, msg),) = ids(settings, OPTIONS=options)
    assert check == "django_rq_poll.E031" and said in msg


def test_other_backends_are_not_ours(settings):
    settings.TASKS = {"default": {"BACKEND": "x.Y", "QUEUES": ["nowhere"]}}
    assert check_task_backends() == []


def test_the_backend_refuses_bad_options_when_built(settings):
    from django_rq_poll.backends import RQBackend
    from django_rq_poll.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="unknown option"):
        RQBackend("default", {"OPTIONS": {"nope": 1}})


def test_a_queue_missing_from_rq_queues_fails_the_enqueue_by_name(settings):
    from django_rq_poll.exceptions import ImproperlyConfigured
    from tests.backends import defs

    settings.TASKS = {"default": {"BACKEND": BACKEND, "QUEUES": ["default", "nowhere"]}}
    with pytest.raises(ImproperlyConfigured, match="Queue 'nowhere' is not in RQ_QUEUES"):
        defs.add.using(queue_name="nowhere").enqueue(1, 2)


def test_the_backend_makes_rqs_job_options_and_names_itself():
    from rq.job import Retry

    from django_rq_poll.backends import RQBackend
    from django_rq_poll.exceptions import ImproperlyConfigured

    backend = RQBackend("mine", {"OPTIONS": {"timeout": 5, "retry": 2}})
    assert backend.alias == "mine"
    retry = backend.job_options.pop("retry")
    assert isinstance(retry, Retry) and retry.max == 2
    assert backend.job_options == {"timeout": 5}
    assert RQBackend("once", {"OPTIONS": {"retry": 1}}).job_options["retry"].max == 1
    assert RQBackend("never", {"OPTIONS": {"retry": 0}}).job_options == {}
    with pytest.raises(ImproperlyConfigured) as refused:
        RQBackend("mine", {"OPTIONS": {"nope": 1, "also": 2}})
    assert str(refused.value) == (
        "TASKS['mine']['OPTIONS'] has unknown option(s) also, nope; "
        "RQBackend takes timeout, result_ttl, failure_ttl, ttl, retry."
    )


def test_the_queue_error_says_what_to_change(settings):
    settings.RQ_QUEUES = {"default": {}, "bulk": {}}
    settings.TASKS = {"reports": {"BACKEND": BACKEND, "QUEUES": ["nowhere"]}}
    (error,) = check_task_backends()
    assert error.msg == (
        "TASKS['reports']['QUEUES'] names the queue 'nowhere', which is not in RQ_QUEUES: "
        "tasks sent there could never be enqueued."
    )
    assert error.hint == (
        "Add 'nowhere' to RQ_QUEUES, or remove it from QUEUES (RQ_QUEUES has bulk, default)."
    )


def test_a_bad_option_error_names_the_backend_and_says_what_to_do(settings):
    settings.TASKS = {"reports": {"BACKEND": BACKEND, "OPTIONS": {"timeout": "10"}}}
    (error,) = check_task_backends()
    assert error.id == "django_rq_poll.E031"
    assert error.msg.startswith("TASKS['reports']['OPTIONS']['timeout'] must be a whole number")
    assert error.hint == "Fix or remove that option."


def test_without_rq_queues_the_queues_are_e003s_to_name(settings):
    """No RQ_QUEUES at all: the app's own check (E003) says so once."""
    del settings.RQ_QUEUES
    settings.TASKS = {"default": {"BACKEND": BACKEND, "QUEUES": ["default", "nowhere"]}}
    assert check_task_backends() == []


def test_without_djangos_tasks_the_error_says_what_to_install(settings, monkeypatch):
    """Django 5.2 without the django-tasks package: the backend cannot be imported."""
    settings.TASKS = {"default": {"BACKEND": BACKEND}}
    with monkeypatch.context() as patch:  # undone before the settings' own teardown
        for name in ("django.tasks", "django_tasks"):
            patch.setitem(sys.modules, name, None)  # as if not installed
        for name in ("django_rq_poll.backends", "django_rq_poll.backends.compat"):
            patch.delitem(sys.modules, name)  # imported again, without them
        (error,) = check_task_backends()
    assert error.id == "django_rq_poll.E032"
    assert error.msg.startswith("django_rq_poll.backends.RQBackend runs Django's tasks")
    assert error.hint == "Install django-tasks, or move to Django 6."


def test_a_site_without_a_tasks_setting_has_nothing_to_check(settings):
    del settings.TASKS
    assert check_task_backends() == []
