"""The Lua scripts as built from their templates, run on a real Redis.

The package builds its scripts once (at import, and the lookup once per ``FAILURE_TTL``);
these tests build them afresh, so that what the building writes in (rq's key prefixes
as Lua strings, the abandoned mapping's TTL, the timeout grace, the shared
``is_abandoned``) is checked by what the scripts then answer.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from rq.job import Job
from rq.utils import utcformat

import django_rq_poll as poll
from django_rq_poll.core import keys, reads, rqlayout, scripts, writes
from django_rq_poll.core.limits import RESERVATION
from django_rq_poll.drivers import backends
from tests import tasks

PLACEHOLDER = re.compile(r"@[A-Z_]+@")


def fresh_lookup(abandoned_ttl: int):
    """The default queue's backend, running a lookup script built just now."""
    source = scripts.lookup_source(**rqlayout.PREFIXES, abandoned_ttl=abandoned_ttl)
    assert not PLACEHOLDER.search(source)
    home = backends.backend()
    home.lookup_script = (scripts.sha(source), source)
    return home


def started_without_heartbeat(url: str, redis_db, started_ago: int) -> str:
    """A job whose hash says it started ``started_ago`` seconds ago (timeout 180 s), with
    no heartbeat evidence: what eviction can leave of a running job. Its mapping has no
    TTL, as a running job's has not."""
    task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url, timeout=180)
    redis_db.lpop("rq:queue:default")
    redis_db.persist(keys.url_key(url))
    started = datetime.now(UTC) - timedelta(seconds=started_ago)
    redis_db.hset(
        Job.key_for(task_id), mapping={"status": "started", "started_at": utcformat(started)}
    )
    return task_id


def test_the_sha_sent_is_the_one_redis_computes(redis_db):
    for source in (*scripts.SOURCES.values(), scripts.lookup(60)[1]):
        assert scripts.sha(source) == redis_db.script_load(source).encode()


def test_a_lookup_built_for_a_ttl_gives_an_abandoned_mapping_that_ttl(url, redis_db):
    task_id = started_without_heartbeat(url, redis_db, 180 + scripts.TIMEOUT_GRACE + 20)
    home = fresh_lookup(4321)
    snap = home.run(reads.lookup(home, url, None, result=True, meta=True))
    assert snap is not None
    assert (snap.task_id, snap.abandoned) == (task_id, True)
    assert 4000 < redis_db.ttl(keys.url_key(url)) <= 4321


def test_a_lookup_built_for_no_ttl_leaves_an_abandoned_mapping_alone(url, redis_db):
    started_without_heartbeat(url, redis_db, 180 + scripts.TIMEOUT_GRACE + 20)
    home = fresh_lookup(0)
    snap = home.run(reads.lookup(home, url, None))
    assert snap is not None and snap.abandoned
    assert redis_db.ttl(keys.url_key(url)) == -1


@pytest.mark.parametrize(
    ("past_timeout", "abandoned"),
    [(scripts.TIMEOUT_GRACE - 20, False), (scripts.TIMEOUT_GRACE + 20, True)],
)
def test_the_grace_past_a_timeout_is_written_in(url, redis_db, past_timeout, abandoned):
    started_without_heartbeat(url, redis_db, 180 + past_timeout)
    home = fresh_lookup(60)
    assert home.run(reads.state(home, url, None)) is (
        poll.State.FAILED if abandoned else poll.State.RUNNING
    )


def test_a_lookup_reads_rqs_keys_through_the_prefixes(url, redis_db, run_jobs):
    task_id = poll.begin_process(tasks.add, (2, 3), polling_url=url)
    run_jobs()
    home = fresh_lookup(60)
    snap = home.run(reads.lookup(home, None, task_id, result=True, meta=True))
    assert snap is not None
    assert (snap.state, snap.return_value) == (poll.State.COMPLETE, 5)


def test_the_admission_script_counts_a_visitors_jobs_and_reservations(redis_db):
    source = scripts.with_prefixes(scripts.ADMIT, **rqlayout.PREFIXES, reservation=RESERVATION)
    assert not PLACEHOLDER.search(source.replace("-- @RESERVATION@", ""))
    queued = poll.begin_process(tasks.add, (1, 2))
    redis_db.hset(Job.key_for(queued), "status", "queued")
    far = 2**40
    redis_db.zadd("visitor", {queued: far, RESERVATION + "x": far, "gone": far})
    reply = redis_db.eval(source, 3, "url", "rq:queue:default", "visitor")
    # mapped, queue length, time, active, latest deadline, ids that no longer count
    assert reply[0] == 0 and reply[1] == 1
    assert reply[3:] == [2, far, b"gone"]


@pytest.mark.parametrize("prefix", ["rq:job:", "it's", "back\\slash", "new\nline\rret", "nul\0"])
def test_a_prefix_is_written_in_as_the_lua_string_it_is(redis_db, prefix):
    source = scripts.with_prefixes("return @JOB@ .. @WIP@", job=prefix, wip="!")
    assert redis_db.eval(source, 0) == (prefix + "!").encode()


def test_every_script_by_name_the_lookup_first_and_each_one_loads(redis_db):
    sources = scripts.all_sources(77)
    assert list(sources) == ["lookup", "settle", "forget", "admit"]
    assert sources["lookup"] == scripts.lookup_source(**rqlayout.PREFIXES, abandoned_ttl=77)
    for source in sources.values():
        assert redis_db.script_load(source).encode() == scripts.sha(source)


def test_a_server_that_forgot_the_scripts_is_sent_them_again(url, redis_db):
    """A restarted or flushed server has no scripts: the writes' scripts carry their
    source, which the runner loads before sending the call once more."""
    task_id = poll.begin_process(tasks.add, (1, 2), polling_url=url)
    redis_db.script_flush()
    home = backends.backend()
    snap = home.run(reads.lookup(home, url, None))
    assert snap is not None and snap.task_id == task_id
    redis_db.script_flush()
    assert home.run(writes.settle(keys.url_key(url), task_id, 0)) is True
    assert not redis_db.exists(keys.url_key(url))
