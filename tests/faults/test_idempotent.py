"""Retry, forget and cancel raced by threads released together: no exception, one new job.

Before the fix two "Try again" POSTs on one failed job answered 500 in about 10 of 100
rounds, and two ``forget_process(task_id=...)`` calls raised ``InvalidJobOperation`` in
about 1 of 30: rq's ``job.delete()`` re-reads the job's status and raises when another
caller deleted it a moment before.
"""

from __future__ import annotations

import uuid
from functools import partial

from rq.job import Job

import django_rq_poll as poll
from django_rq_poll import State
from django_rq_poll.drivers import backends
from django_rq_poll.web.pages import RETRY_FIELD
from tests import tasks
from tests.faults.racers import release_together
from tests.faults.web import client, problems

ROUNDS = 100
RACERS = 2


def _queued(conn) -> list[str]:
    return [m.decode() for m in conn.lrange("rq:queue:default", 0, -1)]


def test_racing_retry_posts_start_exactly_one_job(redis_db, run_jobs, tally, settings):
    kind = "race: retry POSTs"
    settings.RQ_POLL = {**settings.RQ_POLL, "MAX_ACTIVE_JOBS": None}  # one visitor, 100 pages
    pages = [f"/fail/?round={i}-{uuid.uuid4().hex[:6]}" for i in range(ROUNDS)]
    browser = client()
    for page in pages:
        assert browser.get(page).status_code == 202
    run_jobs()
    failed = {page: poll.get_taskid_from_url(page) for page in pages}
    for page in pages:
        tally.fault(kind)
        answers = release_together(
            RACERS, lambda page=page: client().post(page, {RETRY_FIELD: "1"})
        )
        for answer in answers:
            wrong = problems(answer, {303}) if not isinstance(answer, Exception) else [answer]
            tally.answer(kind, not wrong, f"{page}: {wrong}")
    queued = _queued(redis_db)
    for page in pages:
        now = poll.get_taskid_from_url(page)
        ok = now is not None and now != failed[page] and queued.count(now) == 1
        tally.answer(kind, ok, f"{page}: maps to {now}, failed was {failed[page]}")
    tally.answer(kind, len(queued) == ROUNDS, f"{len(queued)} jobs queued for {ROUNDS} pages")
    tally.notes[f"{kind}: rounds of {RACERS} racers, new jobs"] = [ROUNDS, len(queued)]
    tally.assert_clean(kind)


def test_many_racing_retries_on_one_page(redis_db, run_jobs, tally):
    """100 simultaneous "Try again" POSTs on one failed job: 100 redirects, one job."""
    kind = "race: 100 retries, one page"
    page = f"/fail/?many={uuid.uuid4().hex}"
    client().get(page)
    run_jobs()
    failed = poll.get_taskid_from_url(page)
    tally.fault(kind)
    answers = release_together(100, lambda: client().post(page, {RETRY_FIELD: "1"}))
    for answer in answers:
        wrong = problems(answer, {303}) if not isinstance(answer, Exception) else [answer]
        tally.answer(kind, not wrong, f"{wrong}")
    queued = _queued(redis_db)
    now = poll.get_taskid_from_url(page)
    tally.answer(kind, queued == [now] and now != failed, f"queued {queued}, maps to {now}")
    tally.notes[f"{kind}: new jobs"] = len(queued)
    tally.assert_clean(kind)


def _race_calls(kind: str, tally, calls) -> list[object]:
    tally.fault(kind)
    answers = release_together(len(calls), *calls)
    for answer in answers:
        tally.answer(kind, not isinstance(answer, Exception), f"raised {answer!r}")
    return answers


def test_racing_forgets_never_raise(run_jobs, tally):
    kind = "race: forget_process"
    urls = [f"/forget/{uuid.uuid4().hex}" for _ in range(30)]
    ids = {url: poll.begin_process(tasks.add, (1, 2), polling_url=url) for url in urls}
    run_jobs()
    for url in urls:
        task_id = ids[url]
        answers = _race_calls(
            kind,
            tally,
            [
                partial(poll.forget_process, task_id=task_id),
                partial(poll.forget_process, task_id=task_id),
                partial(poll.forget_process, polling_url=url),
                partial(poll.forget_process, url, task_id),
            ],
        )
        tally.answer(kind, True in answers, f"{url}: nobody forgot it: {answers}")
        gone = poll.get_process_status(task_id=task_id) is None
        tally.answer(kind, gone and poll.get_taskid_from_url(url) is None, f"{url} remains")
    tally.assert_clean(kind)


def test_racing_cancels_never_raise(redis_db, tally):
    kind = "race: cancel_process"
    urls = [f"/cancel/{uuid.uuid4().hex}" for _ in range(30)]
    for url in urls:
        task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
        answers = _race_calls(
            kind,
            tally,
            [
                partial(poll.cancel_process, url),
                partial(poll.cancel_process, task_id=task_id),
                partial(poll.cancel_process, url),
                partial(poll.forget_process, task_id=task_id),
            ],
        )
        state = poll.get_process_status(task_id=task_id)
        tally.answer(kind, state in (State.CANCELED, None), f"{url}: {state} after {answers}")
        fields = redis_db.hkeys(Job.key_for(task_id))
        tally.answer(kind, not fields or b"data" in fields, f"{url}: hash left as {fields}")
    tally.assert_clean(kind)


def test_forgetting_a_job_deleted_meanwhile_is_quiet(run_jobs):
    """The root of the races: a job that vanishes while it is being deleted."""
    url = f"/vanish/{uuid.uuid4().hex}"
    task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
    run_jobs()
    backend = backends.backend()
    job = backend.fetch_job(task_id)
    assert job is not None
    backend.connection.delete(job.key)  # someone else deleted it after we read it
    assert backend.delete_job(job) is False
