"""Fixtures for the fault-injection tests: private Redis servers, killable workers, the tally."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest
import redis
from rq import Queue

from django_rq_poll import store
from tests import needs
from tests.redis_server import start_redis_server

from .tally_plugin import pytest_runtest_call, pytest_terminal_summary, tally  # noqa: F401

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class PrivateRedis:
    """A redis-server of our own, which a test may stop, kill and start again."""

    def __init__(self, *extra: str) -> None:
        self.binary = needs.redis_server_binary()
        self.extra = extra
        self.proc, self.url = start_redis_server(self.binary, None, *extra)
        self.port = int(self.url.rsplit(":", 1)[1].split("/")[0])

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def stop(self, sig: int = signal.SIGKILL) -> None:
        self.proc.send_signal(sig)
        self.proc.wait(timeout=10)

    def start(self) -> None:
        self.proc, url = start_redis_server(self.binary, self.port, *self.extra)
        assert url == self.url

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.fixture
def private_redis() -> Iterator[Callable[..., PrivateRedis]]:
    servers: list[PrivateRedis] = []

    def start(*extra: str) -> PrivateRedis:
        server = PrivateRedis(*extra)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def use_redis(monkeypatch) -> Callable[[str], store.Backend]:
    """Point the default queue (and so every mapping) at another Redis.

    django-rq reads RQ_QUEUES at import, so the backend cache is the place to switch.
    """

    def use(url: str) -> store.Backend:
        backend = store.Backend(Queue("default", connection=redis.Redis.from_url(url)))
        monkeypatch.setitem(store._backends, "default", backend)
        return backend

    return use


@pytest.fixture
def killable_worker() -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """django-rq's ``rqworker`` in a session of its own, so its group can be SIGKILLed."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        full_env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "PYTHONPATH": ROOT,
            **(env or {}),
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "django", "rqworker", *args],
            env=full_env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
