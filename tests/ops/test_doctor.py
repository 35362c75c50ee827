"""``rqpoll doctor``'s findings about one Redis server, read from what INFO and CONFIG
answer (tests/deploy/test_doctor.py: the same against servers configured to differ)."""

from __future__ import annotations

import pytest
import rq.serializers

from django_rq_poll.drivers import backends
from django_rq_poll.ops import doctor
from django_rq_poll.ops.findings import Finding


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
