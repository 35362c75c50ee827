"""Run the demo launcher (``python -m demo.run``) in a subprocess for tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def proc_stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, process group) of a live process, from /proc."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    if fields[0] == "Z":  # a zombie has exited; only its parent has not reaped it yet
        return None
    return int(fields[1]), int(fields[2])


def is_rq_worker(pid: int) -> bool:
    """An ``rqworker`` process or its work-horse, by its arguments (``manage.py rqworker``)
    or, where the setproctitle package is installed, by the title rq gives both
    (``rq:worker:<name>: ...``)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"rqworker" in cmdline.split(b"\0") or cmdline.startswith(b"rq:worker:")


def _all_processes() -> dict[int, tuple[int, int]]:
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            info = proc_stat(int(entry))
            if info is not None:
                found[int(entry)] = info
    return found


def descendants(pid: int) -> set[int]:
    table = _all_processes()
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {p for p, (ppid, _) in table.items() if ppid in frontier} - found
        found |= frontier
    return found


def alive_in_groups(groups: set[int]) -> set[int]:
    return {p for p, (_, pgrp) in _all_processes().items() if pgrp in groups}


class Demo:
    def __init__(self, tmp_path: Path, redis_url: str, **env: str) -> None:
        self.port = free_port()
        self.log = tmp_path / "demo.log"
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "demo.run", "--port", str(self.port)],
            cwd=ROOT,
            env={
                **os.environ,
                "REDIS_URL": redis_url,
                "DEMO_DB": str(tmp_path / "db.sqlite3"),
                **env,
            },
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_up(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while "The demo is up" not in self.output():
            assert self.proc.poll() is None, f"the demo exited early:\n{self.output()}"
            assert time.monotonic() < deadline, f"the demo did not come up:\n{self.output()}"
            time.sleep(0.2)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
        status, body, _ = self.request(path, headers)
        return status, body

    def request(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, str, Message]:
        """A GET's status, body and response headers."""
        request = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode(), response.headers
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(), exc.headers

    def wait_for_result(
        self, path: str, timeout: float = 60, headers: dict[str, str] | None = None
    ) -> str:
        deadline = time.monotonic() + timeout
        while True:
            status, body = self.get(path, headers)
            if status == 200:
                return body
            assert status == 202, f"{path} answered {status}:\n{body[:2000]}"
            assert time.monotonic() < deadline, f"{path} never finished:\n{self.output()}"
            time.sleep(0.3)

    def interrupt(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=60)

    def kill(self) -> None:
        """Kill the launcher and every process group it started (each child has one):
        a test that fails before Ctrl-C must not leave a worker or a server behind."""
        groups = {
            pgrp
            for pid in descendants(self.proc.pid)
            if (info := proc_stat(pid)) and (pgrp := info[1]) != os.getpgrp()
        }
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for group in groups:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
        deadline = time.monotonic() + 10  # SIGKILL lands asynchronously
        while alive_in_groups(groups) and time.monotonic() < deadline:
            time.sleep(0.05)
