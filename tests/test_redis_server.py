"""The suite's own Redis fallback: it must work where no Redis runs."""

from __future__ import annotations

import os
import subprocess
import sys

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


def run_probe(path: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "REDIS_URL": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": ROOT,
        "PATH": path,
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
