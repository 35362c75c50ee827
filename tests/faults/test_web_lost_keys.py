"""Keys deleted behind a polled page's back: the next GET starts the work again.

The job hash, the results stream or the URL mapping goes missing between two requests
for the same page; the page answers 202 with a new job (never a 500), the new job runs
to the right result, and the status endpoint of the lost job answers its truth (the
mapping lost) or 404 (the job hash, or a finished job's result, lost).
"""

from __future__ import annotations

import pytest
from rq.job import Job

from django_rq_poll.core import keys
from tests.faults.web import body, client, problems

PAGES = {
    # page: (polling key of an anonymous visitor, the finished page's text)
    "mixin": ("/sum/?x=2&y=3", "<p>Sum: 5</p>"),
    "decorator": ("/plus-one/4/", "plus one: 5"),
}
FAILING = "/fail/"
LOST = {
    "job hash": lambda task_id, page: Job.key_for(task_id),
    "results stream": lambda task_id, page: f"rq:results:{task_id}",
    "reverse key": lambda task_id, page: keys.url_key(page),
}
CASES = [
    *(
        (which, state, lost)
        for which in PAGES
        for state, lost in [
            ("queued", "job hash"),
            ("queued", "reverse key"),
            ("finished", "job hash"),
            ("finished", "results stream"),
            ("finished", "reverse key"),
        ]
    ),
    ("mixin", "failed", "job hash"),
    ("mixin", "failed", "reverse key"),
]


def _first(browser, page: str, state: str, run_jobs) -> str:
    response = browser.get(page)
    assert response.status_code == 202
    if state != "queued":
        run_jobs()
        assert browser.get(page).status_code == (500 if state == "failed" else 200)
    return response.context["task_id"]


@pytest.mark.parametrize(("which", "state", "lost"), CASES)
def test_key_lost_behind_the_page(which, state, lost, redis_db, run_jobs, tally):
    kind = f"page: {lost} deleted"
    page, text = (FAILING, "") if state == "failed" else PAGES[which]
    browser = client()
    old = _first(browser, page, state, run_jobs)
    assert redis_db.delete(LOST[lost](old, page)) == 1
    tally.fault(kind)

    again = browser.get(page)
    wrong = problems(again, {202})
    tally.answer(kind, not wrong, f"{state} {page}: {wrong}")
    new = again.context["task_id"] if again.status_code == 202 else None
    tally.answer(kind, new not in (None, old), f"{state} {page}: same job {new}")
    status = browser.get(f"/rq-poll/status/{old}/")
    if lost == "reverse key":  # the job itself is still there: its truth
        wrong = problems(status, {200})
        truth = {"queued": "pending", "finished": "complete", "failed": "failed"}[state]
        if status.status_code == 200 and status.json()["state"] != truth:
            wrong.append(f"state {status.json()['state']}, not {truth}")
    else:  # the job hash, or a finished job's result, is gone: no such job
        wrong = problems(status, {404})
    tally.answer(kind, not wrong, f"{state} {page} status of the lost job: {wrong}")

    run_jobs()
    done = browser.get(page)
    if state == "failed":
        ok = done.status_code == 500 and "This process failed." in body(done)
    else:
        ok = done.status_code == 200 and text in body(done)
    tally.answer(kind, ok, f"{state} {page} after the restart: {done.status_code}")
    tally.assert_clean(kind)


def test_failed_job_without_its_results_stream_shows_the_failure_page(redis_db, run_jobs):
    """The job hash still says failed: the failure page is the truth, and retry works."""
    browser = client()
    old = _first(browser, FAILING, "failed", run_jobs)
    redis_db.delete(f"rq:results:{old}")
    response = browser.get(FAILING)
    assert problems(response, {500}) == []
    assert "This process failed." in body(response)
    retry = browser.post(FAILING, {"rq_poll_retry": "1"})
    assert retry.status_code == 303
    assert browser.get(FAILING).context["task_id"] != old
