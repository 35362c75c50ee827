"""Workers killed with SIGKILL in the middle of a job, with real rqworker processes.

rq's parent process refreshes the job's entry in ``rq:wip:<queue>`` every
``job_monitoring_interval`` seconds with a TTL of ``min(remaining job time, interval)
+ 60``. When the whole worker dies nobody refreshes it, and the lookup script reads
the job as abandoned once that entry's score has passed: at most ``interval + 60``
seconds after the kill (90 s with rq's default interval of 30 s). These tests run the
workers with a 1-second interval (``workers.QuickMonitorWorker``), so at most 61 s.
"""

from __future__ import annotations

import os
import signal
import time
import uuid

import pytest
import redis

import django_rq_poll as poll
from django_rq_poll import State
from django_rq_poll.core import keys
from django_rq_poll.web.pages import RETRY_FIELD
from tests.faults import tasks
from tests.faults.helpers import wait_until
from tests.faults.web import body, client, problems
from tests.faults.workers import MONITORING_INTERVAL

RQ_HEARTBEAT_GRACE = 60  # rq adds this to every heartbeat TTL; not configurable
WORKER_CLASS = ("--worker-class", "tests.faults.workers.QuickMonitorWorker")
# How long the loop keeps asking after the bound, only so that a slow machine still gets
# to ask: every answer to a question asked after the bound must already be "failed".
LIVENESS = 10


def _horse_pid(redis_db, key: str) -> int:
    wait_until(lambda: redis_db.get(f"{key}:pid"), timeout=60)
    return int(redis_db.get(f"{key}:pid"))


@pytest.mark.urls("tests.faults.views")
def test_whole_worker_killed(redis_db, killable_worker, run_jobs, tally):
    """The URL stops reading as running within interval + 60 s, reads failed, restarts.

    The bound is the documented one (61 s with a 1-second interval): any question asked
    once it has passed must be answered "failed" (the page: not 202). The first URL is
    a page (``views.HoldView``), requested all along: it shows the failure page once the
    job reads abandoned, and its "try again" POST starts anew.
    """
    n = 3
    holds = [f"hold-{uuid.uuid4().hex}" for _ in range(n)]
    page = f"/faults/hold/?key={holds[0]}"  # an anonymous visitor's polling key is the page
    urls = [page, *(f"/killed/{uuid.uuid4().hex}/{i}" for i in range(1, n))]
    browser = client()
    first = [browser.get(page).context["task_id"]]
    first += [
        poll.check_status_or_begin(tasks.hold, (hold,), polling_url=url).task_id
        for url, hold in zip(urls[1:], holds[1:], strict=True)
    ]
    workers = [killable_worker(*WORKER_CLASS, "default") for _ in range(n)]
    horses = [_horse_pid(redis_db, hold) for hold in holds]
    wait_until(lambda: all(poll.process_is_running(url) for url in urls), timeout=30)

    for worker in workers:
        os.killpg(worker.pid, signal.SIGKILL)
    for horse in horses:  # rq's work-horse calls setpgrp(): it has a group of its own
        os.killpg(horse, signal.SIGKILL)
    killed_at = time.time()
    for worker in workers:
        worker.wait(timeout=10)
    tally.fault("whole worker killed", n)
    bound = killed_at + MONITORING_INTERVAL + RQ_HEARTBEAT_GRACE

    flipped: dict[str, float] = {}
    page_flipped: float | None = None
    while (len(flipped) < n or page_flipped is None) and time.time() < bound + LIVENESS:
        asked = time.time()
        response = browser.get(page)
        if page_flipped is None and response.status_code != 202:
            page_flipped = asked
        wrong = problems(response, {500} if page_flipped or asked > bound else {202})
        if page_flipped and "This process failed." not in body(response):
            wrong.append("not the failure page")
        late = f" ({asked - killed_at:.1f} s after the kill)"
        tally.answer("page: whole worker killed", not wrong, f"{page}: {wrong}{late}")
        for url in urls:
            asked = time.time()
            state = poll.get_process_status(url)
            if url not in flipped and state is State.FAILED:
                flipped[url] = asked
            # running until the job reads abandoned, failed from then on, and failed
            # whenever the question comes after the documented bound
            expected = State.FAILED if url in flipped or asked > bound else State.RUNNING
            late = f" ({asked - killed_at:.1f} s after the kill)"
            tally.answer("whole worker killed", state is expected, f"{url}: {state}{late}")
        time.sleep(0.25)
    for url in urls:
        tally.answer("whole worker killed", url in flipped, f"{url} never read failed")
    tally.notes["whole worker killed: seconds until failed (interval 1 s)"] = sorted(
        round(t - killed_at, 1) for t in flipped.values()
    )
    tally.answer("page: whole worker killed", page_flipped is not None, "page still running")
    tally.fault("page: whole worker killed")
    tally.assert_clean("whole worker killed")
    tally.assert_clean("page: whole worker killed")

    retry = browser.post(page, {RETRY_FIELD: "1"})
    assert (retry.status_code, retry["Location"]) == (303, page)
    running = browser.get(page)
    assert running.status_code == 202 and running.context["task_id"] != first[0]
    assert poll.get_taskid_from_url(page) == running.context["task_id"]

    for url, old, hold in zip(urls[1:], first[1:], holds[1:], strict=True):
        assert not poll.process_is_running(url)
        assert poll.process_has_failed(url)
        with pytest.raises(
            poll.ProcessFailed, match=r"^the worker running this job stopped sending heartbeats"
        ):
            poll.get_process_result(url)
        assert redis_db.ttl(keys.url_key(url)) > 0  # the failed mapping expires
        assert all(w.poll() is not None for w in workers)  # no worker is alive
        again = poll.check_status_or_begin(tasks.hold, (hold,), polling_url=url)
        assert again.started and again.task_id != old
        redis_db.set(hold, 1)
    redis_db.set(holds[0], 1)
    run_jobs()  # a new worker: rq's maintenance now fails the old jobs itself
    for url, old in zip(urls, first, strict=True):
        assert poll.get_process_result(url) == "released"
        assert poll.get_taskid_from_url(url) != old
        assert poll.process_has_failed(task_id=old)
    assert browser.get(page).content == b"held: released"


def test_work_horse_killed(redis_db, killable_worker, tally):
    """The parent marks the job failed at once; a retry runs on the same worker."""
    worker = killable_worker(*WORKER_CLASS, "default")
    for _ in range(3):
        url, hold = f"/horse/{uuid.uuid4().hex}", f"hold-{uuid.uuid4().hex}"
        old = poll.check_status_or_begin(tasks.hold, (hold,), polling_url=url).task_id
        horse = _horse_pid(redis_db, hold)
        wait_until(lambda url=url: poll.process_is_running(url), timeout=30)
        os.kill(horse, signal.SIGKILL)
        tally.fault("work-horse killed")
        seen = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            seen.append(poll.get_process_status(url))
            if seen[-1] is not State.RUNNING:
                break
            time.sleep(0.02)
        for state in seen[:-1]:
            tally.answer("work-horse killed", state is State.RUNNING, f"before: {state}")
        tally.answer("work-horse killed", seen[-1] is State.FAILED, f"after: {seen[-1]}")
        with pytest.raises(poll.ProcessFailed, match="Work-horse terminated unexpectedly"):
            poll.get_process_result(url)
        assert redis_db.ttl(keys.url_key(url)) > 0  # the failed mapping expires
        assert worker.poll() is None
        again = poll.check_status_or_begin(tasks.hold, (hold,), polling_url=url)
        assert again.started and again.task_id != old
        redis_db.delete(f"{hold}:pid")
        redis_db.set(hold, 1)
        wait_until(lambda url=url: poll.process_is_complete(url), timeout=30)
        assert poll.get_process_result(url) == "released"
    tally.assert_clean("work-horse killed")


def test_a_worker_that_dies_on_a_full_server(private_redis, use_redis, killable_worker):
    """noeviction and a full server: the worker's heartbeat writes are refused (OOM), and
    the worker dies. Its job reads running until its last heartbeat lapses, then failed:
    at most interval + 60 s after the server filled up (no heartbeat can be written
    after that), however soon memory is freed (issue 18: it read running 40 s after
    memory came back)."""
    server = private_redis("--maxmemory", "8mb", "--maxmemory-policy", "noeviction")
    use_redis(server.url)
    hold = f"hold-{uuid.uuid4().hex}"
    url = f"/oom/{uuid.uuid4().hex}"
    poll.check_status_or_begin(tasks.hold, (hold, 600), polling_url=url)
    admin = server.client()
    worker = killable_worker(*WORKER_CLASS, "default", env={"REDIS_URL": server.url})
    wait_until(lambda: poll.process_is_running(url), timeout=60)
    filler, n = "x" * 100_000, 0
    while True:  # fill the server until it refuses writes
        try:
            admin.set(f"filler:{n}", filler)
            n += 1
        except redis.exceptions.OutOfMemoryError:
            break
    full_at = time.time()
    time.sleep(2 * MONITORING_INTERVAL)  # heartbeats refused meanwhile
    if worker.poll() is None:  # rq 2.12's worker may outlive the refusals: it dies here
        os.killpg(worker.pid, signal.SIGKILL)
        os.killpg(_horse_pid(admin, hold), signal.SIGKILL)
    worker.wait(timeout=10)
    died_at = time.time()
    admin.delete(*(f"filler:{i}" for i in range(n)))  # memory comes back at once
    # the last heartbeat the full server let through: the job's entry in rq's registry
    task_id = poll.get_taskid_from_url(url)
    scores = [s for m, s in admin.zrange("rq:wip:default", 0, -1, withscores=True)
              if m.decode().startswith(f"{task_id}:")]  # fmt: skip
    bound = max(scores)
    assert full_at - 1 < bound <= died_at + MONITORING_INTERVAL + RQ_HEARTBEAT_GRACE
    states = []
    while time.time() < bound + LIVENESS:
        asked = time.time()
        state = poll.get_process_status(url)
        states.append((asked, state))
        if state is State.FAILED:
            break
        time.sleep(0.25)
    late = [state for asked, state in states if asked > bound]
    assert states[-1][1] is State.FAILED
    assert all(state is State.FAILED for state in late), states[-5:]
