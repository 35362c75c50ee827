"""Fixtures for the fault-injection tests: private Redis servers, killable workers, the tally."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest
import redis
from rq import Queue

from django_rq_poll.drivers import backends
from tests import needs
from tests.processes import kill_session
from tests.redis_server import start_redis_server

# The summary's hooks are tests/conftest.py's: the xdist controller never loads this file.
from .tally_plugin import pytest_runtest_call, tally  # noqa: F401

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class PrivateRedis:
    """A redis-server of our own, which a test may stop, kill and start again.

    ``data_dir`` (its ``--dir``) outlives restarts, for a server with an append-only
    file; it is removed with the server's scratch folders on :meth:`close`.
    """

    def __init__(self, *extra: str, data_dir: str | None = None) -> None:
        binary = needs.redis_server_binary()
        self.binary = binary
        self.data_dir = data_dir
        self.extra = (*extra, "--dir", data_dir) if data_dir else extra
        self.server = start_redis_server(binary, None, *self.extra)
        self.url = self.server.url
        self.port = int(self.url.rsplit(":", 1)[1].split("/")[0])

    @property
    def proc(self) -> subprocess.Popen[bytes]:
        return self.server.proc

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def stop(self, sig: int = signal.SIGKILL) -> None:
        self.server.stop(sig)

    def start(self) -> None:
        self.server = start_redis_server(self.binary, self.port, *self.extra)
        assert self.server.url == self.url

    def close(self) -> None:
        self.server.stop()
        if self.data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)


@pytest.fixture
def private_redis() -> Iterator[Callable[..., PrivateRedis]]:
    servers: list[PrivateRedis] = []

    def start(*extra: str, data_dir: str | None = None) -> PrivateRedis:
        server = PrivateRedis(*extra, data_dir=data_dir)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def use_redis(monkeypatch) -> Callable[[str], backends.Backend]:
    """Point the default queue (and so every mapping) at another Redis.

    django-rq reads RQ_QUEUES at import, so the backend cache is the place to switch.
    """

    def use(url: str) -> backends.Backend:
        backend = backends.Backend(Queue("default", connection=redis.Redis.from_url(url)))
        monkeypatch.setitem(backends._backends, "default", backend)
        monkeypatch.setattr(backends, "_default", None)  # backend() must not keep the old one
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
        kill_session(proc.pid)  # the worker and its work-horses, whatever their group
        proc.wait(timeout=10)
