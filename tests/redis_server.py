"""Find a Redis for the tests, or start an embedded one.

``REDIS_URL`` (default redis://127.0.0.1:6379/0) is used when it answers. Otherwise a
private ``redis-server`` on a free port, else fakeredis' TCP server; the choice is
printed and exported in ``REDIS_URL`` so worker subprocesses use the same server.
Set ``RQ_POLL_REQUIRE_REDIS=1`` to fail instead of falling back; ``RQ_POLL_REQUIRE_ALL=1``
(``.ci/run`` sets it) and ``CI=true`` do the same (:mod:`tests.needs`).
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import redis

from tests import needs

DEFAULT_URL = "redis://127.0.0.1:6379/0"


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis_server(
    binary: str, port: int | None = None, *extra: str
) -> tuple[subprocess.Popen[bytes], str]:
    """A throw-away redis-server on loopback that keeps nothing on disk; returns it and its URL."""
    port = port or _free_port()
    workdir = tempfile.mkdtemp(prefix="rq-poll-redis-")
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        if _answers(url):
            return proc, url
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"redis-server did not start on port {port}")


def _start_fakeredis() -> str:
    from fakeredis import TcpFakeServer

    port = _free_port()
    server = TcpFakeServer(("127.0.0.1", port), server_type="redis")
    # Client connections stay open until exit: their handler threads must not block it.
    server.daemon_threads = True
    server.block_on_close = False
    threading.Thread(target=server.serve_forever, daemon=True).start()
    atexit.register(server.shutdown)
    return f"redis://127.0.0.1:{port}/0"


def ensure() -> str:
    url = os.environ.get("REDIS_URL", DEFAULT_URL)
    if _answers(url):
        os.environ["REDIS_URL"] = url
        return url
    if needs.real_redis_required():
        raise RuntimeError(
            f"No Redis answers at {url}, and {needs.REQUIRE_REDIS}=1, {needs.REQUIRE_ALL}=1 "
            "or CI=true forbids falling back to an embedded one."
        )
    binary = shutil.which("redis-server")
    if binary:
        proc, url = start_redis_server(binary)
        atexit.register(proc.terminate)
        kind = f"an embedded redis-server ({binary})"
    else:
        url = _start_fakeredis()
        kind = "fakeredis' embedded TCP server (no redis-server binary found)"
    print(
        f"django-rq-poll tests: no Redis at the configured URL; using {kind} at {url}",
        file=sys.stderr,
    )
    os.environ["REDIS_URL"] = url
    return url
