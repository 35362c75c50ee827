"""Find a Redis for the tests, or start an embedded one; claim a database before emptying it.

``REDIS_URL`` (default redis://127.0.0.1:6379/14, a database no application uses by
default) is used when it answers. Otherwise a private ``redis-server`` on a free port,
else fakeredis' TCP server; the choice is printed and exported in ``REDIS_URL`` so worker
subprocesses use the same server. Set ``RQ_POLL_REQUIRE_REDIS=1`` to fail instead of
falling back; ``RQ_POLL_REQUIRE_ALL=1`` (``.ci/run`` sets it) and ``CI=true`` do the same
(:mod:`tests.needs`).

Run in parallel (pytest-xdist, ``make test``), each worker process has a database of its
own on that server (:func:`worker_url`): ``gw0`` the configured one, ``gw1``, ``gw2``...
the next lower numbers (never 0, every application's default, nor 15, the benchmark's).
The worker's URL is exported in ``REDIS_URL`` too, so that the rq workers, demo sites
and other processes a test starts use its database.

The suite empties its database before every test, and the benchmark (``bench/``) empties
its own: both go through :func:`claim_database`, which refuses a database holding keys
that the claimer did not write.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

import redis

from tests import needs

DEFAULT_URL = "redis://127.0.0.1:6379/14"
# The key the test suite leaves in its database, so that a later run knows it may empty it.
TEST_MARKER = "rq_poll_tests:owned"
# Databases no xdist worker takes: 0 (every application's default) and 15 (the benchmark's).
RESERVED_DBS = (0, 15)
# Set once REDIS_URL names this xdist worker's database, to the worker's id: processes
# the worker starts inherit both and must not move to yet another database.
WORKER_DB_FOR = "RQ_POLL_TEST_DB_FOR"


class DatabaseInUse(RuntimeError):
    """The database holds keys that whoever wants to empty it did not write."""


def claim_database(url: str, *, marker: str, who: str, suggest: str = DEFAULT_URL) -> redis.Redis:
    """Empty the database at ``url`` and mark it as ``who``'s, but only one that is empty
    or carries ``marker`` already; raise :class:`DatabaseInUse` for any other."""
    conn = redis.Redis.from_url(url)
    size = conn.dbsize()
    if size and not conn.exists(marker):
        raise DatabaseInUse(
            f"{who}: refusing to empty {url}: it holds {size} keys that {who} did not write "
            f"(no {marker!r} key). Point REDIS_URL at an empty database, for example "
            f"{suggest} (a number no application of yours uses), or empty "
            f"this one yourself if its data is disposable: redis-cli -u {url} FLUSHDB"
        )
    reset(conn, marker)
    return conn


def written(conn: redis.Redis) -> list[bytes]:
    """Every key in the test database but the suite's own marker."""
    return [key for key in conn.scan_iter(count=1000) if key != TEST_MARKER.encode()]


def reset(conn: redis.Redis, marker: str) -> None:
    """Empty a claimed database, keeping its marker (FLUSHDB, never FLUSHALL)."""
    with conn.pipeline() as pipe:  # one transaction: never empty without the marker
        pipe.flushdb()
        pipe.set(marker, 1)
        pipe.execute()


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RedisServer:
    """A redis-server process and the scratch folder it runs in (removed when it stops)."""

    proc: subprocess.Popen[bytes]
    url: str
    workdir: str

    def stop(self, sig: int = signal.SIGKILL) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        self.proc.wait(timeout=10)
        shutil.rmtree(self.workdir, ignore_errors=True)


def server_args(workdir: str | os.PathLike[str], port: int) -> list[str]:
    """A private server's options: loopback only, nothing kept on disk, files in ``workdir``,
    replicas served without delay."""
    return [
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(workdir),
        # A master starts a replica's full sync at once, not after the default 5 s that
        # waits for more replicas to share it (the replica and Sentinel tests only waited).
        "--repl-diskless-sync-delay",
        "0",
    ]


def start_redis_server(binary: str, port: int | None = None, *extra: str) -> RedisServer:
    """A throw-away redis-server on loopback that keeps nothing on disk (unless ``extra``
    says otherwise, e.g. its own ``--dir``); stop it with :meth:`RedisServer.stop`."""
    port = port or _free_port()
    workdir = tempfile.mkdtemp(prefix="rq-poll-redis-")
    proc = subprocess.Popen(
        [binary, *server_args(workdir, port), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = RedisServer(proc, f"redis://127.0.0.1:{port}/0", workdir)
    for _ in range(100):
        if _answers(server.url):
            return server
        time.sleep(0.05)
    server.stop()
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


def worker_db(base: int, worker: str, databases: int = 16) -> int:
    """The database of xdist worker ``worker`` ("gw3"): ``base`` for gw0, then the
    numbers below it (wrapping round), skipping :data:`RESERVED_DBS`."""
    index = int(worker.removeprefix("gw") or 0)
    others = [db for db in range(base - 1, base - databases, -1) if db % databases != base]
    order = [base] + [db % databases for db in others if db % databases not in RESERVED_DBS]
    if index >= len(order):
        raise RuntimeError(
            f"xdist worker {worker}: only {len(order)} databases of a {databases}-database "
            "server are free for the tests' workers; run fewer (-n)"
        )
    return order[index]


def worker_url(url: str, worker: str) -> str:
    """``url`` with the database of xdist worker ``worker`` (same server and options)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    path = parts.path.strip("/")
    if parts.scheme != "unix" and path.isdigit():
        db = worker_db(int(path), worker)
        return urlunsplit(parts._replace(path=f"/{db}"))
    base = int(parse_qs(parts.query).get("db", ["0"])[0])
    query = [(name, value) for name, value in query if name != "db"]
    query.append(("db", str(worker_db(base, worker))))
    moved = urlunsplit(parts._replace(query=urlencode(query)))
    # urlunsplit writes unix:///path as unix:/path; keep the spelling the URL came in.
    return moved.replace("unix:/", "unix:///", 1) if url.startswith("unix:///") else moved


def configured_url(environ: MutableMapping[str, str] = os.environ) -> str:
    """``REDIS_URL`` (or the default), moved to this xdist worker's database the first
    time a worker asks; its processes inherit the moved URL and keep it."""
    url = environ.get("REDIS_URL", DEFAULT_URL)
    worker = environ.get("PYTEST_XDIST_WORKER")
    if worker and environ.get(WORKER_DB_FOR) != worker:
        url = worker_url(url, worker)
        environ[WORKER_DB_FOR] = worker
        environ["REDIS_URL"] = url
    return url


def ensure() -> str:
    url = configured_url()
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
        server = start_redis_server(binary)
        atexit.register(server.stop, signal.SIGTERM)
        url = server.url
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
