"""The task lookup script (``core/taskjobs.py``), built afresh and run on a real Redis.

The package builds it once, at import, before a mutation run switches a mutant on: this
builds it again, so that what the building writes in (the hash fields read, the number
of results, rq's prefixes and the scheduled registry's) is checked by what it answers.
"""

from __future__ import annotations

import re
import time

import pytest
from rq.registry import ScheduledJobRegistry

from django_rq_poll.core import rqlayout, scripts, taskjobs

PLACEHOLDER = re.compile(r"@[A-Z_]+@")


def test_the_script_is_built_with_every_field_and_prefix():
    source = taskjobs._source()
    assert source == taskjobs.SOURCE and not PLACEHOLDER.search(source)
    assert scripts.sha(source) == taskjobs.SHA
    quoted = ", ".join(f"'{name}'" for name in taskjobs.FIELDS)
    assert f"redis.call('HMGET', 'rq:job:' .. id, {quoted})" in source
    assert f"'COUNT', {taskjobs.MAX_RESULTS})" in source
    assert f"'{ScheduledJobRegistry.key_template.format('')}' .. (f[2] or '')" in source
    assert f"'{rqlayout.PREFIXES['results']}' .. id" in source
    assert "function is_abandoned(" in source


def test_the_script_answers_for_a_scheduled_job_and_none_for_an_unknown(redis_db):
    """Run as built: the fields in order, the results' count bound, the scheduled time."""
    source = taskjobs._source()
    assert redis_db.script_load(source) == scripts.sha(source).decode()
    assert redis_db.evalsha(scripts.sha(source).decode(), 0, "nope") is None
    due = int(time.time()) + 600
    redis_db.hset("rq:job:j1", mapping={"status": "scheduled", "origin": "default", "meta": "m"})
    redis_db.zadd(ScheduledJobRegistry.key_template.format("default"), {"j1": due})
    for n in range(taskjobs.MAX_RESULTS + 2):
        redis_db.xadd("rq:results:j1", {"n": n})
    fields, abandoned, results, at = redis_db.evalsha(scripts.sha(source).decode(), 0, "j1")
    assert len(fields) == len(taskjobs.FIELDS) and fields[0] == b"scheduled"
    assert fields[1] == b"default" and fields[taskjobs.FIELDS.index("meta")] == b"m"
    assert abandoned == 0 and len(results) == taskjobs.MAX_RESULTS
    assert results[0][1] == [b"n", b"0"] and int(at) == due


def test_a_jobs_task_path_is_read_only_behind_the_runner():
    from django_rq_poll.core.tasks import RUNNER

    assert taskjobs.task_path(RUNNER + "app.tasks.send") == "app.tasks.send"
    for name in (None, "", RUNNER, "app.tasks.a_function_name_longer_than_the_runner_prefix"):
        assert taskjobs.task_path(name) is None, name


def test_fields_read_back_as_text_and_pairs():
    assert taskjobs._text(b"caf\xc3\xa9 \xff") == "café \ufffd"  # never raises on bytes
    assert taskjobs._text(12) == "12"
    assert taskjobs._pairs([b"a", b"1", b"b", b"2"]) == {b"a": b"1", b"b": b"2"}
    assert taskjobs._pairs({b"a": b"1"}) == {b"a": b"1"}  # as RESP3 clients give them
    with pytest.raises(ValueError, match="zip"):
        taskjobs._pairs([b"a", b"1", b"b"])  # a field without its value is not read as one


def test_lookup_reads_a_tasks_job_and_its_results_whole(redis_db, run_jobs):
    """What the backend builds Django's result from: the job as rq restores it (its own
    id, the queue's connection and serializer), each result named by the job, the state."""
    from django_rq_poll.core.states import State
    from django_rq_poll.drivers import backends
    from tests.backends import defs

    home = backends.backend()
    task_id = defs.add.enqueue(2, 3).id
    run_jobs()
    found = home.run(taskjobs.lookup(home, task_id))
    assert found is not None and found.state is State.COMPLETE and found.run_at is None
    assert found.job.id == task_id and found.job.origin == "default"
    assert found.job.connection is home.queue.connection
    assert found.job.serializer is home.queue.serializer
    assert taskjobs.task_path(found.job.func_name) == "tests.backends.defs.add"
    (result,) = found.results
    assert result.job_id == task_id and result.return_value == 5
    assert result.connection is home.queue.connection  # as rq's own Result.fetch gives it
    assert result.type == result.Type.SUCCESSFUL
    assert home.run(taskjobs.lookup(home, task_id + "x")) is None
    assert home.run(taskjobs.lookup(home, "not an id!")) is None


def test_lookup_reads_a_task_whose_worker_stopped_sending_heartbeats_as_failed(redis_db):
    """The same evidence as every job's lookup (an expired heartbeat in the queue's
    work-in-progress registry); until it expires the job reads running."""
    from django_rq_poll.core.states import State
    from django_rq_poll.drivers import backends
    from tests.backends import defs

    home = backends.backend()
    task_id = defs.add.enqueue(2, 3).id
    redis_db.lpop("rq:queue:default")  # a worker took it ...
    redis_db.hset(f"rq:job:{task_id}", "status", "started")
    redis_db.zadd(f"rq:executions:{task_id}", {"e1": time.time() + 100})
    redis_db.zadd("rq:wip:default", {f"{task_id}:e1": time.time() + 60})
    running = home.run(taskjobs.lookup(home, task_id))
    assert running is not None and running.state is State.RUNNING
    redis_db.zadd("rq:wip:default", {f"{task_id}:e1": time.time() - 1})  # ... and died
    dead = home.run(taskjobs.lookup(home, task_id))
    assert dead is not None and dead.state is State.FAILED and dead.job.get_status() == "started"
