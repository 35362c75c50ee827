"""Deployment set-ups from the docs, each against real servers of its own: an ACL user,
TLS with client certificates, Sentinel with a replica and a failover."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator

import pytest
import redis

from tests import needs

# The fault tests' fixtures: private redis-servers, a backend switched to one of them,
# rqworker processes that can be killed.
from tests.faults.conftest import killable_worker, private_redis, use_redis  # noqa: F401
from tests.redis_server import _free_port


def redis_binary() -> str:
    # Skips, or fails when every part must run (RQ_POLL_REQUIRE_ALL=1, CI): tests/needs.py.
    return needs.redis_server_binary()


class Servers:
    """redis-server processes a test starts with options of its own; all killed at the end."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str, ready: Callable[[], object]) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [redis_binary(), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self.procs.append(proc)
        deadline = time.monotonic() + 10
        while True:
            try:
                if ready():
                    return proc
            except (redis.RedisError, OSError):
                pass
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"redis-server {' '.join(args)} exited: {err[-500:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server {' '.join(args)} did not answer")
            time.sleep(0.05)

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
            if proc.stderr:
                proc.stderr.close()


@pytest.fixture
def servers() -> Iterator[Servers]:
    found = Servers()
    yield found
    found.close()


def free_port() -> int:
    return _free_port()
