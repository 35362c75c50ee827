"""A running job whose heartbeat keys a Redis short of memory evicts.

rq gives a running job's bookkeeping TTLs (``rq:executions:<id>``, the execution hashes,
the worker key), so a ``volatile-*`` eviction policy may drop them while the job runs.
The lookup must not take their absence for a dead worker: the job reads running, and
``check_status_or_begin`` starts no duplicate. It reads abandoned only on evidence that
eviction cannot remove (an entry in ``rq:wip:<queue>``, which has no TTL, whose
heartbeat score has passed).
"""

from __future__ import annotations

import time
import uuid

import pytest
from rq.job import Job

import django_rq_poll as poll
from django_rq_poll import State
from django_rq_poll.core import keys
from tests.faults import tasks
from tests.faults.helpers import wait_until

WIP = "rq:wip:default"


def _start_held(url: str, redis_db, worker) -> tuple[str, str]:
    hold = f"hold-{uuid.uuid4().hex}"
    task_id = poll.check_status_or_begin(tasks.hold, (hold,), polling_url=url).task_id
    worker()
    wait_until(lambda: redis_db.get(f"{hold}:started"), timeout=60)
    wait_until(lambda: poll.process_is_running(url), timeout=30)
    return task_id, hold


def _volatile_keys(conn) -> list[bytes]:
    """Every key a volatile-* policy may evict: the ones with a TTL."""
    return [key for key in conn.scan_iter(count=1000) if conn.ttl(key) > 0]


def _reads_running(url: str, task_id: str) -> list[str]:
    wrong = []
    for how, kw in (("url", {"polling_url": url}), ("id", {"task_id": task_id})):
        if poll.get_process_status(**kw) is not State.RUNNING:
            wrong.append(f"status/{how}={poll.get_process_status(**kw)}")
        if not poll.process_is_running(**kw) or poll.process_has_failed(**kw):
            wrong.append(f"running/failed by {how}")
        try:
            if poll.get_process_result(**kw) is not None:
                wrong.append(f"result/{how}")
        except poll.ProcessFailed as exc:
            wrong.append(f"result/{how} raised {exc}")
    again = poll.check_status_or_begin(tasks.hold, ("other",), polling_url=url)
    if again.started or again.task_id != task_id:
        wrong.append(f"check_status_or_begin started {again.task_id}")
    return wrong


def test_evictable_keys_deleted_while_running(url, redis_db, killable_worker, tally):
    """Deleting every key with a TTL (what volatile-* may evict) changes no answer."""
    task_id, hold = _start_held(url, redis_db, lambda: killable_worker("default"))
    lost = _volatile_keys(redis_db)
    assert f"rq:executions:{task_id}".encode() in lost  # the key the lookup used to need
    assert redis_db.delete(*lost) == len(lost)
    tally.fault("heartbeat keys evicted", len(lost))
    wrong = _reads_running(url, task_id)
    tally.answer("heartbeat keys evicted", not wrong, "; ".join(wrong))
    assert redis_db.get(keys.url_key(url)) == task_id.encode()  # the mapping still points at it
    assert redis_db.ttl(keys.url_key(url)) == -1  # and, the job running, has no TTL to evict
    redis_db.set(hold, 1)
    wait_until(lambda: poll.process_is_complete(url), timeout=30)
    assert poll.get_process_result(url) == "released"
    assert poll.get_taskid_from_url(url) == task_id
    tally.assert_clean("heartbeat keys evicted")


def test_evicted_by_a_full_redis(private_redis, use_redis, killable_worker, tally):
    """A real redis-server with maxmemory and volatile-ttl, filled while a job runs."""
    server = private_redis("--maxmemory-policy", "volatile-ttl", "--maxmemory-samples", "64")
    use_redis(server.url)
    conn = server.client()
    url = f"/evicted/{uuid.uuid4().hex}"
    task_id, hold = _start_held(
        url, conn, lambda: killable_worker("default", env={"REDIS_URL": server.url})
    )
    executions = f"rq:executions:{task_id}"
    assert conn.exists(executions)
    used = int(conn.info("memory")["used_memory"])
    conn.config_set("maxmemory", used + 2_000_000)
    filler = b"x" * 10_000
    n = 0
    # Fill with keys that live longer than rq's heartbeat keys: volatile-ttl evicts the
    # nearest expiry first. Bounded, so a server that evicts nothing fails the test.
    while conn.exists(executions) and n < 5_000:
        conn.set(f"filler:{n}", filler, ex=100_000)
        n += 1
    assert not conn.exists(executions), "the server never evicted rq's heartbeat keys"
    assert int(conn.info("stats")["evicted_keys"]) > 0
    tally.fault("evicted by a full redis (volatile-ttl)")
    assert conn.hget(Job.key_for(task_id), "status") == b"started"  # rq: still running
    wrong = _reads_running(url, task_id)
    tally.answer("evicted by a full redis (volatile-ttl)", not wrong, "; ".join(wrong))
    tally.notes["evicted by a full redis: filler keys written"] = n
    conn.config_set("maxmemory", 0)
    conn.set(hold, 1)
    wait_until(lambda: poll.process_is_complete(url), timeout=30)
    assert poll.get_process_result(url) == "released"
    tally.assert_clean("evicted by a full redis (volatile-ttl)")


@pytest.mark.parametrize("links_lost", [False, True])
def test_expired_heartbeat_still_reads_abandoned(url, redis_db, links_lost):
    """The positive evidence: a wip entry whose score has passed, with or without the
    executions list that links the job to it (it expires 60 s after the wip score)."""
    task_id = poll.begin_process(tasks.double, (1,), polling_url=url)
    redis_db.lpop("rq:queue:default")
    redis_db.hset(Job.key_for(task_id), "status", "started")
    redis_db.zadd(f"rq:executions:{task_id}", {"e1": time.time() + 100})
    redis_db.zadd(WIP, {f"{task_id}:e1": time.time() + 60, "other-job:e9": time.time() - 5})
    assert poll.process_is_running(url)
    redis_db.zadd(WIP, {f"{task_id}:e1": time.time() - 1})
    if links_lost:
        redis_db.delete(f"rq:executions:{task_id}")
    assert poll.process_has_failed(url)
    with pytest.raises(
        poll.ProcessFailed, match=r"^the worker running this job stopped sending heartbeats"
    ):
        poll.get_process_result(url)
    again = poll.check_status_or_begin(tasks.double, (1,), polling_url=url)
    assert again.started and again.task_id != task_id


def test_no_evidence_at_all_reads_running(url, redis_db):
    """A started job with neither executions list nor wip entry (both lost) is not
    called dead: only an expired heartbeat is evidence. Another job's expired entry
    with a similar id is not evidence either."""
    task_id = poll.begin_process(tasks.double, (1,), polling_url=url)
    redis_db.lpop("rq:queue:default")
    redis_db.hset(Job.key_for(task_id), "status", "started")
    redis_db.zadd(WIP, {f"{task_id}x:e1": time.time() - 5, f"x{task_id}:e2": time.time() - 5})
    assert poll.get_process_status(url) is State.RUNNING
    again = poll.check_status_or_begin(tasks.double, (1,), polling_url=url)
    assert not again.started and again.task_id == task_id


@pytest.mark.parametrize(
    ("started_ago", "abandoned"), [(30, False), (180 + 100, False), (180 + 140, True)]
)
def test_no_evidence_but_past_its_timeout(url, redis_db, started_ago, abandoned):
    """With no heartbeat evidence left, the job hash's own started_at and timeout still
    tell: rq kills a job at its timeout, so one started longer ago (plus the grace) is
    not running. rq's own date format, built by rq."""
    from datetime import UTC, datetime, timedelta

    from rq.utils import utcformat

    task_id = poll.begin_process(tasks.double, (1,), polling_url=url, timeout=180)
    redis_db.lpop("rq:queue:default")
    started = datetime.now(UTC) - timedelta(seconds=started_ago)
    redis_db.hset(
        Job.key_for(task_id), mapping={"status": "started", "started_at": utcformat(started)}
    )
    assert poll.process_has_failed(url) is abandoned
    assert poll.check_status_or_begin(tasks.double, (1,), polling_url=url).started is abandoned
