"""Keys lost behind our back: deleted by someone, or evicted by a Redis short of memory.

Whatever is gone, every lookup answers either the truth or "unknown", nothing raises,
and ``check_status_or_begin`` starts the work again.
"""

from __future__ import annotations

import uuid

import pytest
from rq.job import Job

import django_rq_poll as poll
from django_rq_poll import State
from django_rq_poll.core import keys
from tests import tasks
from tests.workers import BurstWorker


def _answers(url: str, task_id: str) -> dict[str, object]:
    """Every read the API offers, by URL and by id."""
    out: dict[str, object] = {}
    for how, kw in (("url", {"polling_url": url}), ("id", {"task_id": task_id})):
        out[f"status/{how}"] = poll.get_process_status(**kw)
        out[f"running_or_complete/{how}"] = poll.process_is_running_or_complete(**kw)
        out[f"complete/{how}"] = poll.process_is_complete(**kw)
        out[f"failed/{how}"] = poll.process_has_failed(**kw)
        out[f"progress/{how}"] = poll.get_process_progress(**kw)
        try:
            out[f"result/{how}"] = poll.get_process_result(**kw)
        except poll.ProcessFailed as exc:
            out[f"result/{how}"] = exc
    out["taskid_from_url"] = poll.get_taskid_from_url(url)
    out["url_from_taskid"] = poll.get_url_from_taskid(task_id)
    return out


def _unknown(answers: dict[str, object], how: str) -> list[str]:
    """The reads (by ``how``) that do not answer as for an unknown job."""
    expected = {
        f"status/{how}": None,
        f"running_or_complete/{how}": False,
        f"complete/{how}": False,
        f"failed/{how}": False,
        f"progress/{how}": None,
        f"result/{how}": None,
    }
    expected["taskid_from_url" if how == "url" else "url_from_taskid"] = None
    return [f"{k}={answers[k]!r}" for k, v in expected.items() if answers[k] != v]


def _truth(answers: dict[str, object], state: str, url: str) -> list[str]:
    """The reads by id that do not answer the job's truth (its mapping alone was lost)."""
    expected: dict[str, object] = {
        "queued": {
            "status/id": State.PENDING,
            "running_or_complete/id": True,
            "complete/id": False,
            "failed/id": False,
            "result/id": None,
        },
        "finished": {
            "status/id": State.COMPLETE,
            "running_or_complete/id": True,
            "complete/id": True,
            "failed/id": False,
            "result/id": 5,
        },
        "failed": {
            "status/id": State.FAILED,
            "running_or_complete/id": False,
            "complete/id": False,
            "failed/id": True,
            "result/id": "ProcessFailed: RuntimeError: boom",
        },
    }[state]
    expected["progress/id"] = None
    expected["url_from_taskid"] = url
    got = dict(answers)
    if isinstance(got["result/id"], poll.ProcessFailed):
        error = got["result/id"].error.strip().splitlines()[-1]
        got["result/id"] = f"ProcessFailed: {error}"
    return [
        f"{k}={got[k]!r}" for k, v in expected.items() if got[k] != v or type(got[k]) is not type(v)
    ]


def _prepare(state: str, url: str, run_jobs) -> str:
    task = tasks.fail if state == "failed" else tasks.add
    task_id = poll.begin_process(task, () if state == "failed" else (2, 3), polling_url=url)
    if state != "queued":
        run_jobs()
    return task_id


CASES = [
    # (state of the job, key lost, reads that must answer "unknown")
    ("queued", "job hash", ("url", "id")),
    ("finished", "job hash", ("url", "id")),
    ("failed", "job hash", ("url", "id")),
    ("finished", "results stream", ("url", "id")),
    ("queued", "reverse key", ("url",)),
    ("finished", "reverse key", ("url",)),
    ("failed", "reverse key", ("url",)),
]


@pytest.mark.parametrize(("state", "lost", "unknown_by"), CASES)
def test_key_deleted(state, lost, unknown_by, url, redis_db, run_jobs, tally):
    task_id = _prepare(state, url, run_jobs)
    key = {
        "job hash": Job.key_for(task_id),
        "results stream": f"rq:results:{task_id}",
        "reverse key": keys.url_key(url),
    }[lost]
    assert redis_db.delete(key) == 1
    kind = f"{lost} deleted"
    tally.fault(kind)
    try:
        answers = _answers(url, task_id)
    except Exception as exc:
        tally.answer(kind, False, f"{state}: raised {exc!r}")
        raise
    for how in unknown_by:
        wrong = _unknown(answers, how)
        tally.answer(kind, not wrong, f"{state} by {how}: {wrong}")
    if "id" not in unknown_by:  # the job is still there: by id, the truth
        wrong = _truth(answers, state, url)
        tally.answer(kind, not wrong, f"{state} by id: {wrong}")
    again = poll.check_status_or_begin(tasks.add, (2, 3), polling_url=url)
    tally.answer(kind, again.started and again.task_id != task_id, f"{state}: not restarted")
    run_jobs()
    tally.answer(kind, poll.get_process_result(url) == 5, f"{state}: no result after restart")
    tally.assert_clean(kind)


def test_failed_job_without_its_results_stream_still_reads_failed(url, redis_db, run_jobs):
    """The job hash still says failed: that is the truth, and a restart is allowed."""
    task_id = _prepare("failed", url, run_jobs)
    redis_db.delete(f"rq:results:{task_id}")
    assert poll.process_has_failed(url)
    with pytest.raises(poll.ProcessFailed, match="status 'failed'"):
        poll.get_process_result(url)
    assert poll.check_status_or_begin(tasks.add, (2, 3), polling_url=url).started


def test_memory_eviction(private_redis, use_redis, tally):
    """allkeys-lru with a small maxmemory evicts rq's keys and ours at random."""
    server = private_redis("--maxmemory", "3mb", "--maxmemory-policy", "allkeys-lru")
    backend = use_redis(server.url)
    conn = server.client()
    n = 300
    urls = {f"/evict/{uuid.uuid4().hex}/{i}": i for i in range(n)}
    for url, i in urls.items():
        poll.begin_process(tasks.add, (i, i), polling_url=url)
    BurstWorker([backend.queue], connection=backend.connection).work(burst=True)
    filler, i = "x" * 2_000, 0
    while int(conn.info("stats")["evicted_keys"]) < n:  # about a quarter of the keys
        conn.set(f"filler:{i}", filler)
        i += 1
    evicted = int(conn.info("stats")["evicted_keys"])
    tally.fault("memory eviction", evicted)
    conn.config_set("maxmemory", 0)  # freeze what was lost, so each answer can be judged

    kind = "memory eviction"
    unknown = set()
    for url, i in urls.items():
        try:
            status = poll.get_process_status(url)
            result = poll.get_process_result(url)
            task_id = poll.get_taskid_from_url(url)
        except Exception as exc:
            tally.answer(kind, False, f"{url}: raised {exc!r}")
            continue
        if status is None:
            unknown.add(url)
            tally.answer(kind, result is None and task_id is None, f"{url}: half unknown")
        else:
            ok = status is State.COMPLETE and result == 2 * i and task_id is not None
            tally.answer(kind, ok, f"{url}: {status} {result!r}")
            if task_id is not None:
                by_id = poll.get_process_status(task_id=task_id)
                # the same keys the URL's lookup just read (eviction is frozen): the same job
                tally.answer(kind, by_id is State.COMPLETE, f"{url}: by id {by_id}")
    for url, i in urls.items():
        try:
            again = poll.check_status_or_begin(tasks.add, (i, i), polling_url=url)
        except Exception as exc:
            tally.answer(kind, False, f"{url}: begin raised {exc!r}")
            continue
        tally.answer(kind, again.started == (url in unknown), f"{url}: started={again.started}")
    tally.notes["memory eviction: URLs that lost their answer"] = f"{len(unknown)} of {n}"
    assert unknown, "the eviction should have cost some URLs their answer"
    assert len(unknown) < n, "some URLs should have kept their answer"
    tally.assert_clean(kind)
