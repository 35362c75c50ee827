"""``rqpoll doctor``'s findings about one Redis server, read from what INFO and CONFIG
answer (tests/deploy/test_doctor.py: the same against servers configured to differ)."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import pytest
import rq.serializers
from rq import Worker
from rq.registry import FailedJobRegistry
from rq.results import Result

from django_rq_poll.drivers import backends
from django_rq_poll.ops import doctor
from django_rq_poll.ops.findings import Finding
from tests import tasks


@pytest.mark.parametrize(
    ("version", "status", "message"),
    [
        ("7.0.15", "ok", "here: Redis 7.0.15, the version tested"),
        ("7.2.4", "warning", "here: Redis 7.2.4: not tested (the suite runs on 7.0)"),
        ("6.2.0", "warning", "here: Redis 6.2.0: not tested (the suite runs on 7.0)"),
        ("6.1.9", "problem", "here: Redis 6.1.9: older than 6.2, not supported"),
        ("8", "unknown", "here: Redis reports version '8'"),
        ("x.y", "unknown", "here: Redis reports version 'x.y'"),
    ],
)
def test_the_version_against_the_tested_one(version, status, message):
    assert doctor._version(version, "here") == Finding("version", status, message)


@pytest.mark.parametrize(
    ("info", "status", "message"),
    [
        ({}, "unknown", "here: INFO does not report maxmemory_policy"),
        (
            {"maxmemory_policy": "noeviction", "maxmemory": 0},
            "ok",
            "here: maxmemory-policy noeviction (no maxmemory set)",
        ),
        (
            {"maxmemory_policy": "noeviction", "maxmemory": 1048576},
            "ok",
            "here: maxmemory-policy noeviction (maxmemory 1048576 bytes)",
        ),
        (
            {"maxmemory_policy": "allkeys-lru"},
            "problem",
            "here: maxmemory-policy allkeys-lru: Redis may evict rq's queues or a running "
            "job's bookkeeping when memory runs short. Set maxmemory-policy noeviction.",
        ),
    ],
)
def test_the_eviction_policy(info, status, message):
    assert doctor._eviction(info, "here") == Finding("eviction", status, message)


def test_results_the_server_can_store(settings):
    backend = backends.backend()
    assert doctor._result_size(backend, "here") == Finding(
        "result size", "ok", "here: results up to 16,777,216 bytes, which it can store"
    )
    limit = backends.server_result_limit(backend.connection)
    assert limit is not None
    settings.RQ_POLL = {"MAX_RESULT_BYTES": limit}  # exactly what it can store
    assert doctor._result_size(backend, "here").status == "ok"
    settings.RQ_POLL = {"MAX_RESULT_BYTES": limit + 1}
    assert doctor._result_size(backend, "here") == Finding(
        "result size",
        "warning",
        f"here: proto-max-bulk-len lets rq store results up to {limit:,} bytes, less than "
        f"RQ_POLL['MAX_RESULT_BYTES'] ({limit + 1}): larger results fail. Lower the setting "
        "or raise proto-max-bulk-len.",
    )
    settings.RQ_POLL = {"MAX_RESULT_BYTES": None}  # no limit of the app's: the server's
    assert doctor._result_size(backend, "here").status == "warning"


def test_a_server_that_answers(redis_db):
    backend = backends.backend()
    where = backend.where.split(", queue", 1)[0] + ")"
    assert where.endswith(f"(db {backend.connection.connection_pool.connection_kwargs['db']})")
    assert doctor._server(backend) == [
        Finding("redis", "ok", f"{where}: answering"),
        doctor._version(redis_db.info()["redis_version"], where),  # the suite's: 7.0
        Finding("eviction", "ok", f"{where}: maxmemory-policy noeviction (no maxmemory set)"),
        Finding(
            "result size", "ok", f"{where}: results up to 16,777,216 bytes, which it can store"
        ),
        Finding("acl", "ok", f"{where}: ACL user 'default' has every permission needed"),
        Finding("scripts", "ok", f"{where}: the lookup, settle, forget, admit scripts load"),
    ]


def test_serializers_are_named_as_rqworker_takes_them():
    assert doctor._name(rq.serializers.DefaultSerializer) == "pickle (rq's default)"
    assert doctor._name(rq.serializers.JSONSerializer) == "rq.serializers.JSONSerializer"
    assert doctor._name(rq.serializers.JSONSerializer()) == "rq.serializers.JSONSerializer"
    assert doctor._name(pickle) == "pickle"  # a module: its own name, not "module"


# -- one queue: its workers and what its failures say about their serializer -----------
UNREADABLE = "Traceback...\nrq.exceptions.DeserializationError: could not read the job\n"


@pytest.fixture
def worker():
    """A worker on 'default' as rq registers one, without a process: the doctor reads
    only the record (born now)."""
    backend = backends.backend()
    registered = Worker([backend.queue], connection=backend.connection, name="w1")
    registered.register_birth()
    yield registered
    registered.register_death()


def failed(error: str, *, ended: datetime | None) -> str:
    """A job of 'default' in rq's failed-job registry, failed with ``error``."""
    backend = backends.backend()
    job = backend.queue.enqueue(tasks.add, 1, 2)
    job.ended_at = ended
    Result.create_failure(job, ttl=600, exc_string=error)
    FailedJobRegistry(queue=backend.queue).add(job, ttl=600, exc_string=error)
    return job.id


def test_a_queue_without_workers():
    backend = backends.backend()
    assert doctor._queue(backend, is_home=True, probe=None)[0] == Finding(
        "workers",
        "problem",
        "no worker listens on this queue: its jobs wait until one starts (it is RQ_POLL['QUEUE'])",
        "default",
    )
    assert doctor._queue(backend, is_home=False, probe=None)[0] == Finding(
        "workers",
        "warning",
        "no worker listens on this queue: its jobs wait until one starts",
        "default",
    )


def test_a_queue_with_a_worker(worker):
    assert doctor._queue(backends.backend(), is_home=True, probe=None) == [
        Finding("workers", "ok", "1 worker(s) listening: w1", "default"),
        Finding(
            "serializer",
            "unknown",
            "the queue uses pickle (rq's default); rq does not record which serializer a "
            "worker runs, and no recent failure shows a mismatch. `rqpoll doctor --probe` "
            "runs a test job to prove it.",
            "default",
        ),
    ]


def test_a_queue_that_runs_jobs_in_the_web_process():
    assert doctor._queue(backends.backend("sync"), is_home=False, probe=None) == [
        Finding("workers", "ok", "ASYNC is off: jobs run in the web process", "sync")
    ]


def test_junk_in_the_worker_set(redis_db):
    redis_db.sadd("rq:workers:default", b"\xff\x00")
    (finding,) = doctor._queue(backends.backend(), is_home=True, probe=None)
    assert (finding.check, finding.status, finding.queue) == ("workers", "problem", "default")
    assert finding.message.startswith(
        "rq cannot read the queue's worker set: it holds bytes rq never writes ("
    )
    assert finding.message.endswith(
        "); another program wrote to rq's keys. Find it, and remove what it wrote."
    )


def test_junk_in_the_failed_job_registry(redis_db):
    redis_db.zadd("rq:failed:default", {b"\xff\x00": 1})
    finding = doctor._serializer_evidence(backends.backend())
    assert (finding.check, finding.status, finding.queue) == ("serializer", "unknown", "default")
    assert finding.message.startswith(
        "rq cannot read the queue's failed-job registry or worker set: it holds bytes rq "
        "never writes ("
    )


def test_an_unreadable_job_since_the_workers_started_is_a_problem(worker):
    task_id = failed(UNREADABLE, ended=None)  # no end recorded: counted as recent
    failed("ValueError: the task's own error", ended=None)
    assert doctor._serializer_evidence(backends.backend()) == Finding(
        "serializer",
        "problem",
        f"1 of the last 50 failed jobs could not be read by a worker running now (e.g. "
        f"{task_id}): it runs another serializer than the queue's pickle (rq's default). "
        "Start rqworker with --serializer pickle (rq's default).",
        "default",
    )


def test_unreadable_jobs_before_the_workers_started_are_history(worker):
    first = failed(UNREADABLE, ended=datetime.now(UTC) - timedelta(hours=1))
    recent = failed(UNREADABLE.replace("DeserializationError", "UnpicklingError"), ended=None)
    backend = backends.backend()
    assert doctor._serializer_evidence(backend).status == "problem"  # the second is recent
    FailedJobRegistry(queue=backend.queue).remove(recent)
    assert doctor._serializer_evidence(backend) == Finding(
        "serializer",
        "warning",
        f"1 failed jobs could not be read by workers no longer running (e.g. {first}), none "
        "since the current workers started: if those were started with --serializer pickle "
        "(rq's default), this is history. `rqpoll doctor --probe` proves it.",
        "default",
    )


def test_unreadable_jobs_and_no_worker_now_are_history():
    task_id = failed("json.decoder.JSONDecodeError: Expecting value", ended=None)
    finding = doctor._serializer_evidence(backends.backend())
    assert finding.status == "warning" and f"(e.g. {task_id})" in finding.message


def test_a_probe_that_no_worker_runs_is_a_warning_and_leaves_no_job(worker, redis_db):
    """The worker is registered but runs nothing: the probe waits, then says so."""
    backend = backends.backend()
    (*_, probe) = doctor._queue(backend, is_home=True, probe=0.3)
    assert probe == Finding(
        "serializer",
        "warning",
        "no worker ran the test job within 0.3 s (busy workers?)",
        "default",
    )
    assert backend.queue.get_job_ids() == []  # the test job is deleted


def test_each_server_once_then_each_queue_the_polling_one_first(settings):
    settings.TASKS = {}
    settings.RQ_POLL = {"QUEUE": "other"}
    findings = doctor.examine()
    assert [f.check for f in findings[:6]] == [
        "redis", "version", "eviction", "result size", "acl", "scripts"
    ]  # fmt: skip
    assert [f.check for f in findings].count("redis") == 1  # the queues share the server
    assert [(f.queue, f.status) for f in findings if f.check == "workers"] == [
        ("other", "problem"),  # RQ_POLL['QUEUE'], without a worker
        ("default", "warning"),
        ("json", "warning"),
        ("sync", "ok"),
    ]
    assert findings[-1].check == "static files"


def test_the_workers_listening_are_named_in_order(worker):
    backend = backends.backend()
    other = Worker([backend.queue], connection=backend.connection, name="a0")
    other.register_birth()
    try:
        found = doctor._queue(backend, is_home=True, probe=None)[0]
    finally:
        other.register_death()
    assert found == Finding("workers", "ok", "2 worker(s) listening: a0, w1", "default")


def test_the_newest_failures_are_read_not_the_oldest(worker):
    for n in range(3):
        failed(f"ValueError: the task's own error {n}", ended=None)
    task_id = failed(UNREADABLE, ended=None)  # the newest of four
    finding = doctor._serializer_evidence(backends.backend())
    assert finding.status == "problem" and f"(e.g. {task_id})" in finding.message


def test_junk_names_what_could_not_be_decoded(redis_db):
    redis_db.sadd("rq:workers:default", b"\xff\x00")
    (finding,) = doctor._queue(backends.backend(), is_home=True, probe=None)
    assert "can't decode byte 0xff" in finding.message
    redis_db.delete("rq:workers:default")
    redis_db.zadd("rq:failed:default", {b"\xff\x00": 1})
    assert "can't decode byte 0xff" in doctor._serializer_evidence(backends.backend()).message
