"""The view and HTTP figures; skipped cleanly while the web layer is not installed."""

from __future__ import annotations

import importlib.util
import os
import pickle
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.test import Client
from django.urls import reverse
from rq.job import Job

from django_rq_poll.drivers import backends

from . import loadgen, tasks, views
from .timing import Figure, interleaved

ROOT = Path(__file__).resolve().parent.parent
SKIPPED = "skipped: web layer not present (django_rq_poll.views.PollingMixin is not importable)"


def _wait(predicate: Callable[[], Any], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"bench: gave up waiting for {what}")
        time.sleep(0.1)


def _env(redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "REDIS_URL": redis_url,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }


def _start(args: list[str], redis_url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, *args],
        env=_env(redis_url),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((loadgen.LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _answers(port: int, path: str) -> bool:
    result = loadgen.load(port, path, clients=1, requests=1, max_seconds=2, expect=200)
    return result["errors"] == 0 and result["requests"] == 1


def _held_task_id() -> str | None:
    backend = backends.backend()
    for _, task_id in backend.iter_mappings():
        job = backend.fetch_job(task_id)
        if job is not None and job.func_name == "bench.tasks.hold":
            return task_id
    return None


def run(
    redis_url: str, *, rounds: int, clients: int, requests: int
) -> tuple[list[Figure], dict[str, Any]]:
    if views.mixin_class() is None:
        print(SKIPPED, flush=True)
        return [], {"skipped": SKIPPED}
    conn = backends.backend().connection
    conn.set(views.PLAIN_KEY.format(n=1), pickle.dumps(tasks.report(1)))
    release = views.RELEASE_KEY.format(n=1)
    figures: list[Figure] = []
    data: dict[str, Any] = {}
    worker = server = None
    try:
        worker = _start(["-m", "django", "rqworker", "default"], redis_url)
        client = Client()
        first = client.get("/report/1/")
        data["first_status"] = first.status_code
        _wait(lambda: client.get("/report/1/").status_code == 200, "the finished page")
        client.get("/held/1/")
        _wait(lambda: conn.get(f"{release}:started"), "the held job to start")
        finished, plain = client.get("/report/1/"), client.get("/plain/1/")
        if finished.content != plain.content:
            print("bench: note: the mixin's page and the plain page differ in content")

        # -- the mixin vs a plain one-GET view, through the Django test client -----------
        print(f"test client: {rounds} rounds ...", flush=True)
        at = interleaved(
            {"plain": lambda: client.get("/plain/1/"), "mixin": lambda: client.get("/report/1/")},
            rounds=rounds,
            iterations=50,
        )
        plain_rps, mixin_rps = 1e6 / at["plain"], 1e6 / at["mixin"]
        share = at.ratio("plain", "mixin")  # per round: mixin's req/s over plain's
        data["test_client"] = {
            "median_us": dict(at),
            "rounds_us": at.samples,
            "plain_rps": plain_rps,
            "mixin_rps": mixin_rps,
            "share": share,
        }
        figures.append(Figure("test client: plain view, one GET + template", plain_rps, "req/s"))
        figures.append(
            Figure(
                "test client: PollingMixin, finished result",
                mixin_rps,
                "req/s",
                ratio=share,
                against="plain",
                target=">= 0.8x",
                meets=share >= 0.8,
            )
        )

        # -- a real server under load ------------------------------------------------------
        pages = [("running page", "/held/1/", 202), ("finished page", "/report/1/", 200)]
        task_id = _held_task_id()
        if importlib.util.find_spec("django_rq_poll.urls") is not None and task_id:
            status_path = reverse("django_rq_poll:status", kwargs={"job_id": task_id})
            pages.insert(1, ("status endpoint", status_path, 200))
        else:
            data["status_endpoint"] = "skipped: django_rq_poll.urls not present"
            print("bench: status endpoint skipped: django_rq_poll.urls not present")
        port = _free_port()
        server = _start(
            ["-m", "gunicorn", "bench.wsgi:application", "--workers", "2",
             "--bind", f"{loadgen.LOOPBACK}:{port}", "--log-level", "warning"],
            redis_url,
        )  # fmt: skip
        _wait(lambda: _answers(port, "/plain/1/"), "gunicorn to answer", 30)
        data["http"] = {}
        for label, path, expect in pages:
            loadgen.load(port, path, clients=2, requests=20, max_seconds=5, expect=expect)
            print(f"gunicorn, 2 workers: {label}, {clients} clients ...", flush=True)
            result = loadgen.load(
                port, path, clients=clients, requests=requests, max_seconds=20, expect=expect
            )
            data["http"][label] = result
            figures.append(
                Figure(
                    f"HTTP {label} ({clients} clients, gunicorn -w 2)",
                    result["rps"],
                    "req/s",
                    target="0 errors",
                    meets=result["errors"] == 0,
                    note=f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
                    f"{result['errors']} errors in {result['requests']}",
                )
            )
        if task_id:
            job = Job.fetch(task_id, connection=conn)
            data["held_job_status_at_end"] = str(job.get_status())
    finally:
        conn.set(release, 1)
        _stop(server)
        _stop(worker)
    return figures, data
