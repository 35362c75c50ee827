"""Property tests: any string as a polling URL or a task id.

Nothing raises but the documented ``ValueError`` (no URL and no id), every key written
stays under rq's prefix or ours, ours hold only a hash, and URLs come back unchanged.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import django_rq_poll as poll
from django_rq_poll.conf import conf
from tests import tasks
from tests.redis_server import written

# Any code point, lone surrogates and control characters included.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=300)
ANY_ID = ANY_TEXT | st.from_regex(r"[A-Za-z0-9_-]{1,300}", fullmatch=True)
HUGE = "\x00\n" + "ü\ud800" * 200_000  # readers take it; starts refuse it (MAX_URL_LENGTH)
AT_LIMIT = HUGE[:2048]  # the longest polling URL a start takes by default
PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _read_everything(url: str, task_id: str) -> dict[str, object]:
    """Every read (and the two changes) for a URL and an id that name nothing."""
    answers: dict[str, object] = {}
    for how, kw in (
        ("url", {"polling_url": url}),
        ("id", {"task_id": task_id}),
        ("both", {"polling_url": url, "task_id": task_id}),
    ):
        for name in UNKNOWN:
            try:
                answers[f"{name}/{how}"] = getattr(poll, name)(**kw)
            except Exception as exc:
                answers[f"{name}/{how}"] = exc
    answers["get_taskid_from_url"] = poll.get_taskid_from_url(url)
    answers["get_url_from_taskid"] = poll.get_url_from_taskid(task_id)
    return answers


# What each function answers for a URL or an id that names no job.
UNKNOWN: dict[str, object] = {
    "get_process_status": None,
    "process_is_running_or_complete": False,
    "process_is_running": False,
    "process_is_pending": False,
    "process_is_complete": False,
    "process_has_failed": False,
    "get_process_progress": None,
    "get_process_result": None,
    "get_process_snapshot": None,
    "forget_process": False,
    "cancel_process": False,
}


def _expected() -> dict[str, object]:
    return {
        **{
            f"{name}/{how}": value
            for name, value in UNKNOWN.items()
            for how in ("url", "id", "both")
        },
        "get_taskid_from_url": None,
        "get_url_from_taskid": None,
    }


def _stray_keys(redis_db) -> list[bytes]:
    ours = re.compile(rb"%s:url:[0-9a-f]{64}" % re.escape(conf.PREFIX.encode()))
    return [
        key for key in written(redis_db) if not key.startswith(b"rq:") and not ours.fullmatch(key)
    ]


@PROPERTY
@given(url=ANY_TEXT, task_id=ANY_ID)
@example(url=HUGE, task_id=HUGE)
@example(url="", task_id="")
@example(url="rq:job:x", task_id="../../rq:job:x")
def test_reads_never_raise(url, task_id, redis_db, tally):
    """Each read answers "unknown" (the right one of None / False) and nothing raises."""
    tally.fault("hostile input")
    answers = _read_everything(url, task_id)
    assert set(answers) == set(_expected())
    wrong = []
    for read, expected in _expected().items():
        # `is`, not ==: False must not pass for None, nor 0 for False
        if not tally.answer("hostile input", answers[read] is expected, read):
            wrong.append(f"{read}={answers[read]!r:.80}")
    # this example's own answers (the test's tally spans all of hypothesis' examples)
    assert not wrong, f"{url!r:.40} {task_id!r:.40}: {wrong}"
    assert _stray_keys(redis_db) == []


@PROPERTY
@given(url=ANY_TEXT, queue=st.sampled_from(["default", "json"]))
@example(url=AT_LIMIT, queue="default")
@example(url=AT_LIMIT, queue="json")
def test_any_url_round_trips_and_keys_stay_in_prefix(url, queue, redis_db, tally):
    tally.fault("hostile input")
    task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url, queue=queue)
    text = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url, queue=queue)
    ok = (
        poll.get_taskid_from_url(url) == task_id
        and poll.get_url_from_taskid(task_id) == url
        and not text.started
        and text.task_id == task_id
    )
    tally.answer("hostile input", ok, f"{url!r:.60} did not round-trip")
    stray = _stray_keys(redis_db)
    tally.answer("hostile input", not stray, f"keys outside the prefixes: {stray[:3]}")
    assert poll.forget_process(url)
    assert poll.get_taskid_from_url(url) is None
    tally.assert_clean("hostile input")


@pytest.mark.parametrize("start", [poll.begin_process, poll.check_status_or_begin])
def test_a_url_over_the_length_limit_is_refused_before_anything_is_written(start, redis_db):
    with pytest.raises(ValueError, match="MAX_URL_LENGTH"):
        start(tasks.add, (1, 2), polling_url=AT_LIMIT + "x")
    with pytest.raises(ValueError, match="MAX_URL_LENGTH"):
        start(tasks.add, (1, 2), polling_url=HUGE)
    assert written(redis_db) == []


@pytest.mark.parametrize(
    "func",
    [poll.get_process_status, poll.get_process_result, poll.forget_process, poll.cancel_process],
)
def test_no_url_and_no_id_is_the_documented_value_error(func):
    with pytest.raises(ValueError, match="needs a polling_url or a task_id"):
        func()
