"""``make demo``'s launcher, run for real: it serves pages, runs jobs, and Ctrl-C stops
everything it started (and nothing else)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from tests import needs
from tests.demo_process import ROOT, Demo, alive_in_groups, descendants, free_port, proc_stat


def test_demo_serves_pages_and_stops_everything_it_started(tmp_path, settings) -> None:
    demo = Demo(tmp_path, settings.REDIS_URL)
    try:
        demo.wait_until_up()
        assert f"Using the Redis that answers at {settings.REDIS_URL}" in demo.output()
        status, body = demo.get("/add/3/5/")
        assert status == 202, body
        assert '<output id="result">8</output>' in demo.wait_for_result("/add/3/5/")
        status, body = demo.get("/login/")
        assert (status, "alice-demo" in body) == (200, True)

        started = descendants(demo.proc.pid)
        groups = {p for p in started if proc_stat(p) and proc_stat(p)[0] == demo.proc.pid}
        assert len(groups) >= 2  # at least the worker and the web server
        assert demo.interrupt() == 0
    finally:
        demo.kill()
    assert "Stopped everything the demo started." in demo.output()
    assert alive_in_groups(groups) == set()
    assert {p for p in started if proc_stat(p) is not None} == set()
    assert redis.Redis.from_url(settings.REDIS_URL).ping()  # not ours to stop


@pytest.mark.parametrize("kind", ["redis-server", "fakeredis"])
def test_demo_starts_and_stops_a_redis_when_none_answers(tmp_path, kind) -> None:
    env = {}
    if kind == "redis-server":
        needs.redis_server_binary()
        expected = "started a redis-server"
    else:
        env["PATH"] = str(Path(sys.executable).parent)  # hide redis-server
        expected = "started fakeredis' embedded TCP server"
    url = f"redis://127.0.0.1:{free_port()}/0"
    demo = Demo(tmp_path, url, **env)
    try:
        demo.wait_until_up()
        assert f"{expected}" in demo.output()
        assert f"at {url}" in demo.output()
        assert '<output id="result">4</output>' in demo.wait_for_result("/add/2/2/")
        started = descendants(demo.proc.pid)
        assert demo.interrupt() == 0
    finally:
        demo.kill()
    assert {p for p in started if proc_stat(p) is not None} == set()
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()


def test_demo_refuses_a_port_in_use(tmp_path, settings) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "demo.run", "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, "REDIS_URL": settings.REDIS_URL},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert f"Port {port} is in use" in done.stdout


def test_ctrl_c_during_start_up_stops_what_was_started(tmp_path, settings) -> None:
    demo = Demo(tmp_path, settings.REDIS_URL)
    try:
        deadline = time.monotonic() + 120
        while "Starting the development server" not in demo.output():
            assert demo.proc.poll() is None, demo.output()
            assert time.monotonic() < deadline, demo.output()
            time.sleep(0.05)
        started = descendants(demo.proc.pid)
        assert demo.interrupt() == 0
    finally:
        demo.kill()
    assert "The demo is up" not in demo.output()
    assert "Stopped everything the demo started." in demo.output()
    assert {p for p in started if proc_stat(p) is not None} == set()
