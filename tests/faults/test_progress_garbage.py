"""Progress: refused at write time when it is not a finite, non-negative report, and
whatever a job's meta holds (written there by hand), every reader still answers.

Before the fix ``set_progress(float('inf'), 100)`` and ``set_progress(10**400)`` were
accepted, and then the running page, the htmx partial, the status endpoint, the tags
and ``rqpoll list`` answered 500 (or raised) for the whole life of the result.
"""

from __future__ import annotations

import io
import math
import uuid
from functools import partial

import pytest
from django.core.management import call_command
from django.template import Context, Template

import django_rq_poll as poll
from django_rq_poll.core import meta
from django_rq_poll.drivers import backends
from django_rq_poll.progress import MESSAGE_LIMIT
from tests import tasks
from tests.faults.web import client, problems
from tests.workers import InProcessWorker

GARBAGE = [
    {"current": math.inf, "total": 100, "message": ""},
    {"current": 10**400, "total": None, "message": ""},
    {"current": 1, "total": 10**400, "message": ""},
    {"current": math.nan, "total": 10, "message": ""},
    {"current": 5, "total": math.nan, "message": ""},
    {"current": -5, "total": 10, "message": ""},
    {"current": 1e308, "total": 1e-300, "message": "overflowing ratio"},
    {"current": 1, "total": 0, "message": ""},
    {"current": "3", "total": "4", "message": ""},
    {"current": 1, "total": 2, "message": "x" * 1_000_000},
    {"current": 1, "total": 2, "message": b"bytes"},
    {"current": 1, "total": 2},
    {"current": True, "total": 2, "message": ""},
    {},
    "not a dict",
    [1, 2, 3],
    None,
    10**400,
]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((math.inf, 100), "current must be a finite number"),
        ((10**400,), "1329 bits is too big"),
        ((math.nan,), "current must be a finite number"),
        ((-1,), "current must be a number >= 0"),
        ((1, math.inf), "total must be a finite number"),
        ((1, 10**400), "total must be a finite number"),
        ((1, -2), "total must be a number > 0"),
        ((True,), "current must be a number"),
        ((1, 2, "x" * (MESSAGE_LIMIT + 1)), f"at most {MESSAGE_LIMIT} characters"),
        ((1, 2, b"bytes"), "message must be a string"),
    ],
)
def test_bad_reports_are_refused_naming_the_problem(args, words):
    with pytest.raises(ValueError, match=words):
        poll.set_progress(*args)


def test_a_job_reporting_infinity_fails_and_leaves_no_garbage(url, run_jobs):
    poll.begin_process(tasks.report_values, ((math.inf, 100),), polling_url=url)
    run_jobs()
    with pytest.raises(poll.ProcessFailed, match="finite"):
        poll.get_process_result(url)
    assert poll.get_process_progress(url) is None


def test_the_longest_message_is_kept(url, run_jobs):
    message = "m" * MESSAGE_LIMIT
    poll.begin_process(tasks.report_values, ((1, 2, message),), polling_url=url)
    run_jobs()
    assert poll.get_process_progress(url) == poll.Progress(1, 2, message)


def _readers(page: str, task_id: str):
    browser = client()
    yield "running page", lambda: browser.get(page)
    yield "htmx partial", lambda: browser.get(page, HTTP_HX_REQUEST="true")
    yield "status endpoint", lambda: browser.get(f"/rq-poll/status/{task_id}/")


def _command(*args: str) -> str:
    out = io.StringIO()
    call_command("rqpoll", *args, stdout=out)
    return out.getvalue()


def test_every_reader_survives_garbage_in_meta(tally, settings):
    settings.RQ_POLL = {**settings.RQ_POLL, "MAX_ACTIVE_JOBS": None}  # one visitor, many pages
    kind = "garbage progress in meta"
    for garbage in GARBAGE:
        tally.fault(kind)
        page = f"/sum/?x=1&y={uuid.uuid4().int % 10**9}"
        first = client().get(page)
        task_id = first.context["task_id"]
        job = backends.backend().fetch_job(task_id)
        job.meta[meta.META_PROGRESS] = garbage
        job.save_meta()
        label = repr(garbage)[:60]
        for name, request in _readers(page, task_id):
            response = request()
            wrong = problems(response, {200, 202})
            if len(response.content) > 200_000:
                wrong.append(f"{len(response.content)} bytes")
            tally.answer(kind, not wrong, f"{name} with {label}: {wrong}")
        for name, read in (
            ("API", partial(poll.get_process_progress, page)),
            ("tags", partial(_tags, page)),
            ("rqpoll list", partial(_command, "list")),
            ("rqpoll list --json", partial(_command, "list", "--json")),
            ("rqpoll show", partial(_command, "show", task_id)),
        ):
            try:
                read()
            except Exception as exc:
                tally.answer(kind, False, f"{name} with {label}: raised {exc!r}")
            else:
                tally.answer(kind, True)
        progress = poll.get_process_progress(page)
        sane = progress is None or (
            math.isfinite(progress.current)
            and progress.current >= 0
            and len(progress.message) <= MESSAGE_LIMIT
        )
        tally.answer(kind, sane, f"API read {progress!r:.80} from {label}")
        poll.forget_process(page)
    InProcessWorker([backends.backend().queue], connection=backends.backend().connection).work(
        burst=True
    )
    tally.assert_clean(kind)


def _tags(page: str) -> str:
    source = "{% load rq_poll %}{% process_status url %}{% process_progress url %}"
    return Template(source).render(Context({"url": page}))


def test_percent_of_odd_values_built_by_hand():
    assert poll.Progress(math.inf, 10).percent == 100
    assert poll.Progress(1e308, 1e-300).percent == 100
    assert poll.Progress(math.nan, 10).percent is None
    assert poll.Progress(-1, 10).percent == 0


OTHER_GARBAGE = [
    {meta.META_OWNER: 10**5000},  # str() of it raises ValueError
    {meta.META_OWNER: ["a", "list"]},
    {meta.META_URL: 12, meta.META_PAGE: b"/bytes/"},
    {meta.META_URL: "//evil.example/x#user=1"},
    {meta.META_CALLBACKS: "not a dict"},
]


def test_every_reader_survives_garbage_in_other_meta_keys(tally, settings):
    settings.RQ_POLL = {**settings.RQ_POLL, "MAX_ACTIVE_JOBS": None}  # one visitor, many pages
    kind = "garbage progress in meta"
    for index, garbage in enumerate(OTHER_GARBAGE):
        tally.fault(kind)
        page = f"/sum/?x=2&y={uuid.uuid4().int % 10**9}"
        task_id = client().get(page).context["task_id"]
        job = backends.backend().fetch_job(task_id)
        job.meta.update(garbage)
        job.save_meta()
        label = f"OTHER_GARBAGE[{index}]"
        for name, request in _readers(page, task_id):
            response = request()
            wrong = problems(response, {200, 202, 404})
            tally.answer(kind, not wrong, f"{name} with {label}: {wrong}")
        for name, read in (
            ("rqpoll list", partial(_command, "list")),
            ("rqpoll list --json", partial(_command, "list", "--json")),
            ("rqpoll show", partial(_command, "show", task_id)),
            ("rqpoll show --json", partial(_command, "show", task_id, "--json")),
        ):
            try:
                read()
            except Exception as exc:
                tally.answer(kind, False, f"{name} with {label}: raised {exc!r}")
            else:
                tally.answer(kind, True)
        poll.forget_process(task_id=task_id)
    tally.assert_clean(kind)
