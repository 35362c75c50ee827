"""``make demo`` runs this: set up the demo, then Redis (if needed), a worker and the web server.

Every process it starts gets a process group of its own, so Ctrl-C in the terminal reaches
only this script, which then stops exactly those groups (and a Redis server only if it
started one) and nothing else on the machine.

Environment: ``REDIS_URL`` (default redis://127.0.0.1:6379/0) and ``PORT`` (default 8000).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def say(message: str) -> None:
    print(f"[demo] {message}", flush=True)


def _answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def _port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on the port now.

    SO_REUSEADDR as every server sets it (runserver, redis-server): without it the
    connections that the last run's Ctrl-C left in TIME_WAIT block the probe for up to a
    minute while nothing listens.
    """
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _with_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"127.0.0.1:{port}"))


# A worker that exits is started again after a pause that doubles, up to this, while it
# keeps exiting soon after its start (Redis gone for a while); as systemd's RestartSec.
FIRST_BACK_OFF = 1.0
MAX_BACK_OFF = 30.0
# A worker that ran this long before exiting starts again after FIRST_BACK_OFF.
STEADY_AFTER = 60.0


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]
    args: list[str] = field(default_factory=list)
    restart: bool = False  # start it again when it exits (workers), as a supervisor would
    started_at: float = field(default_factory=time.monotonic)
    back_off: float = FIRST_BACK_OFF
    restart_at: float | None = None  # when an exited child is due to start again


@dataclass
class Demo:
    port: int
    redis_url: str
    children: list[Child] = field(default_factory=list)
    stop_fakeredis: Callable[[], None] | None = None
    redis_workdir: str | None = None  # our redis-server's scratch folder, removed at the end
    stop_requested: threading.Event = field(default_factory=threading.Event)

    # -- Redis -----------------------------------------------------------------------
    def ensure_redis(self) -> None:
        if _answers(self.redis_url):
            say(f"Using the Redis that answers at {self.redis_url}.")
            return
        wanted = urlsplit(self.redis_url)
        port = wanted.port or 6379
        if wanted.hostname not in LOOPBACK or not _port_free(port):
            port = _free_port()
        url = _with_port(self.redis_url, port)
        binary = shutil.which("redis-server")
        if binary:
            workdir = self.redis_workdir = tempfile.mkdtemp(prefix="rq-poll-demo-redis-")
            args = [binary, "--port", str(port), "--bind", "127.0.0.1"]
            args += ["--save", "", "--appendonly", "no", "--dir", workdir]
            self.spawn("redis-server", args, quiet=True)
            kind = f"a redis-server ({binary}) of its own, which keeps nothing on disk"
        else:
            from fakeredis import TcpFakeServer

            server = TcpFakeServer(("127.0.0.1", port), server_type="redis")
            # A connection thread can sit in a blocking command (a worker's BLPOP) long
            # after its client died; daemon threads let the demo exit without waiting.
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.stop_fakeredis = server.shutdown
            kind = "fakeredis' embedded TCP server (no redis-server binary found; data in memory)"
        for _ in range(100):
            if _answers(url):
                break
            time.sleep(0.05)
        else:
            raise SystemExit(f"[demo] Redis did not come up on port {port}.")
        self.redis_url = url
        say(f"No Redis answered at the configured URL, so the demo started {kind} at {url}.")

    # -- processes ---------------------------------------------------------------------
    def spawn(
        self, name: str, args: list[str], *, quiet: bool = False, restart: bool = False
    ) -> Child:
        child = Child(name, self._popen(args, quiet=quiet), args, restart)
        self.children.append(child)
        return child

    def _popen(self, args: list[str], *, quiet: bool = False) -> subprocess.Popen[bytes]:
        out = subprocess.DEVNULL if quiet else None
        return subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env(),
            stdout=out,
            stderr=out,
            start_new_session=True,  # our own group: Ctrl-C reaches us, we stop it
        )

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "demo.settings",
            "REDIS_URL": self.redis_url,
            "PYTHONUNBUFFERED": "1",
        }

    def manage(self, *args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env(), check=True)

    def worker_commands(self) -> list[list[str]]:
        """One ``rqworker`` per serializer: rqworker's --serializer defaults to pickle."""
        settings = _settings(self.redis_url)
        groups: dict[str, list[str]] = {}
        for queue, config in settings.RQ_QUEUES.items():
            serializer = config.get("SERIALIZER") or "rq.serializers.DefaultSerializer"
            groups.setdefault(serializer, []).append(queue)
        return [
            [sys.executable, "manage.py", "rqworker", *queues, "--serializer", serializer]
            for serializer, queues in groups.items()
        ]

    def start(self) -> None:
        say("Applying migrations and creating the demo users…")
        self.manage("migrate", "--noinput", "--verbosity", "0")
        self.manage("demo_users")
        for args in self.worker_commands():
            say(f"Starting a worker: {' '.join(args[1:])}")
            self.spawn("rqworker", args, restart=True)
        say(
            "Starting the development server (uvicorn, ASGI: pages get push) on "
            f"http://127.0.0.1:{self.port}/"
        )
        self.spawn("uvicorn", self.server_command())

    def server_command(self) -> list[str]:
        """uvicorn, so that pages get push (an event stream) instead of polling. Streams
        stay open while pages wait: a short graceful shutdown lets Ctrl-C end them."""
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "demo.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--timeout-graceful-shutdown",
            "1",
            "--no-access-log",
        ]

    def wait_for_server(self, timeout: float = 60) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stop_requested.is_set():
            if self.dead_child() is not None:
                return False
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2):
                    return True
            except (urllib.error.URLError, OSError):
                self.stop_requested.wait(0.2)
        return False

    def dead_child(self) -> Child | None:
        """An exited child that is not started again (the web server, our Redis)."""
        return next((c for c in self.children if not c.restart and c.proc.poll() is not None), None)

    def supervise(self, now: float | None = None) -> None:
        """Start exited workers again, after a back-off that grows while they keep exiting.

        rq's worker exits when Redis goes away under it (a restart, a network blip); a
        process supervisor would start it again, and so does the demo.
        """
        now = time.monotonic() if now is None else now
        for child in self.children:
            if not child.restart or child.proc.poll() is None:
                continue
            if child.restart_at is None:
                if now - child.started_at >= STEADY_AFTER:
                    child.back_off = FIRST_BACK_OFF
                child.restart_at = now + child.back_off
                say(
                    f"{child.name} exited with code {child.proc.returncode}; "
                    f"starting it again in {child.back_off:g} s."
                )
                child.back_off = min(child.back_off * 2, MAX_BACK_OFF)
            elif now >= child.restart_at:
                _signal_group(child, signal.SIGKILL)  # leftovers (a work-horse)
                child.proc = self._popen(child.args)
                child.started_at, child.restart_at = now, None
                say(f"Started {child.name} again (pid {child.proc.pid}).")

    def stop(self) -> None:
        """Stop every group we started: the web server and workers first, Redis last."""
        for child in reversed(self.children):
            _stop_group(child)
        if self.stop_fakeredis is not None:
            self.stop_fakeredis()
        if self.redis_workdir is not None:
            shutil.rmtree(self.redis_workdir, ignore_errors=True)
        say("Stopped everything the demo started.")


def _signal_group(child: Child, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.proc.pid, sig)


def _stop_group(child: Child) -> None:
    # rqworker: the first SIGTERM asks for a warm shutdown (finish the job), the second
    # a cold one (kill the work-horse); what still lives after that is killed.
    for sig, grace in ((signal.SIGTERM, 3.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        if child.proc.poll() is None:
            _signal_group(child, sig)
        try:
            child.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        _signal_group(child, signal.SIGKILL)  # leftovers of the group (a work-horse)
        return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    options = parser.parse_args(argv)
    if not _port_free(options.port):
        say(f"Port {options.port} is in use; choose another, e.g. PORT=8001 make demo")
        return 2
    demo = Demo(options.port, os.environ.get("REDIS_URL", DEFAULT_REDIS_URL))
    stop_requested = demo.stop_requested  # set by Ctrl-C (SIGINT) or SIGTERM

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    code = 0
    try:
        demo.ensure_redis()
        demo.start()
        if demo.wait_for_server():
            _banner(demo)
        elif not stop_requested.is_set() and demo.dead_child() is None:
            say("The web server has not answered yet; it keeps trying.")
        while not stop_requested.is_set():
            dead = demo.dead_child()
            if dead is not None:
                say(f"{dead.name} exited with code {dead.proc.returncode}; stopping the demo.")
                code = 1
                break
            demo.supervise()
            stop_requested.wait(0.5)
    except subprocess.CalledProcessError as exc:
        say(f"Set-up failed: {' '.join(map(str, exc.cmd))} exited with {exc.returncode}.")
        code = 1
    finally:
        demo.stop()
    return code


def _settings(redis_url: str) -> Any:
    """The demo's settings module, read as plain Python (no Django set-up needed here)."""
    os.environ["REDIS_URL"] = redis_url
    return importlib.import_module("demo.settings")


def _banner(demo: Demo) -> None:
    users = _settings(demo.redis_url).DEMO_USERS
    logins = ", ".join(f"{u['username']} / {u['password']}" for u in users)
    say("")
    say(f"The demo is up: http://127.0.0.1:{demo.port}/")
    say(f"Log in as {logins}.")
    say(f"Redis: {demo.redis_url}. Press Ctrl-C to stop everything the demo started.")
    say("")


if __name__ == "__main__":
    sys.exit(main())
