"""The suite's own Redis fallback: it must work where no Redis runs."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests import needs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PROBE = """
import django
django.setup()
import django_rq_poll as poll
from tests import tasks
task_id = poll.begin_process(tasks.add, (1, 2), polling_url="/probe/")
assert poll.get_taskid_from_url("/probe/") == task_id
assert poll.process_is_pending("/probe/")
print("probe ok")
"""


def run_probe(path: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "REDIS_URL": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": ROOT,
        "PATH": path,
        **extra_env,
    }
    for name in (needs.REQUIRE_REDIS, needs.REQUIRE_ALL, "CI"):  # the fallback is under test
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_starts_redis_server_when_none_answers():
    needs.redis_server_binary()
    done = run_probe(os.environ["PATH"])
    assert done.returncode == 0, done.stderr
    assert "using an embedded redis-server" in done.stderr
    assert "probe ok" in done.stdout


def test_falls_back_to_fakeredis_without_a_binary(tmp_path):
    done = run_probe(str(tmp_path))  # a PATH where no redis-server can be found
    assert done.returncode == 0, done.stderr
    assert "fakeredis" in done.stderr
    assert "probe ok" in done.stdout


def test_require_redis_refuses_to_fall_back():
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:1/0", "RQ_POLL_REQUIRE_REDIS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", "from tests import redis_server; redis_server.ensure()"],
        env={**env, "PYTHONPATH": ROOT},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "RQ_POLL_REQUIRE_REDIS=1" in done.stderr


def test_a_stopped_server_leaves_no_folder_behind():
    from tests.redis_server import start_redis_server

    binary = needs.redis_server_binary()
    server = start_redis_server(binary)
    assert os.path.isdir(server.workdir)
    server.stop()
    assert not os.path.exists(server.workdir)


def test_the_embedded_server_removes_its_folder_at_exit(tmp_path):
    needs.redis_server_binary()
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    done = run_probe(os.environ["PATH"], TMPDIR=str(scratch))
    assert done.returncode == 0, done.stderr
    assert "using an embedded redis-server" in done.stderr
    assert list(scratch.glob("rq-poll-*")) == []


# -- the suite must never empty a database it does not own ----------------------------------
@pytest.fixture
def private_server():
    from tests.redis_server import start_redis_server

    binary = needs.redis_server_binary()
    server = start_redis_server(binary)
    yield server.url
    server.stop()


def test_claim_refuses_a_database_in_use(private_server):
    import redis

    from tests.redis_server import DatabaseInUse, claim_database

    conn = redis.Redis.from_url(private_server)
    conn.set("someone:else", "precious")
    with pytest.raises(DatabaseInUse, match="refusing to empty") as caught:
        claim_database(private_server, marker="mine:owned", who="me")
    assert "FLUSHDB" in str(caught.value)
    assert "REDIS_URL" in str(caught.value)
    assert conn.get("someone:else") == b"precious"


def test_claim_takes_an_empty_or_marked_database(private_server):
    import redis

    from tests.redis_server import claim_database

    conn = redis.Redis.from_url(private_server)
    claim_database(private_server, marker="mine:owned", who="me")
    assert conn.keys("*") == [b"mine:owned"]
    conn.set("left:over", 1)  # an earlier run's keys, next to its marker
    claim_database(private_server, marker="mine:owned", who="me")
    assert conn.keys("*") == [b"mine:owned"]


def test_suite_refuses_to_run_on_a_database_in_use(private_server):
    import redis

    conn = redis.Redis.from_url(private_server)
    conn.set("someone:else", "precious")
    env = {**os.environ, "REDIS_URL": private_server, "PYTHONPATH": ROOT}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "tests/ops/test_checks.py"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 4, done.stdout + done.stderr
    assert "refusing to empty" in done.stdout + done.stderr
    assert conn.get("someone:else") == b"precious"
    assert conn.dbsize() == 1


def test_default_database_is_none_an_application_uses():
    from tests.redis_server import DEFAULT_URL

    db = int(DEFAULT_URL.rsplit("/", 1)[1])
    assert db not in (0, 15)  # 0: every application's default; 15: the benchmark's


def test_each_xdist_worker_has_a_database_of_its_own():
    from tests.redis_server import RESERVED_DBS, worker_db, worker_url

    dbs = [worker_db(14, f"gw{n}") for n in range(14)]
    assert dbs[0] == 14  # gw0 (or no xdist) uses the configured database
    assert len(set(dbs)) == 14
    assert not set(dbs) & set(RESERVED_DBS)
    assert worker_url("redis://:pw@h:7/14", "gw1") == "redis://:pw@h:7/13"
    assert worker_url("redis://h/?db=14&x=1", "gw2") == "redis://h/?x=1&db=12"
    assert worker_url("unix:///run/r.sock?db=14", "gw1") == "unix:///run/r.sock?db=13"
    with pytest.raises(RuntimeError, match="run fewer"):
        worker_db(14, "gw14")


def test_processes_a_worker_starts_keep_its_database():
    """rq workers, demo sites: they inherit the moved REDIS_URL and must not move again."""
    from tests.redis_server import configured_url

    environ = {"REDIS_URL": "redis://h/14", "PYTEST_XDIST_WORKER": "gw2"}
    assert configured_url(environ) == "redis://h/12"
    child = dict(environ)  # a process the worker starts inherits its environment
    assert configured_url(child) == "redis://h/12"
    assert configured_url({"REDIS_URL": "redis://h/14"}) == "redis://h/14"  # no xdist
