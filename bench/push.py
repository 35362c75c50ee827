"""``python -m bench.push``: push against polling, side by side in one run.

- Latency from a job's end (rq's ``ended_at``) to its result on screen in Chromium
  (``domContentLoadedEventEnd`` of the result page), p50 and p99, and the requests each
  waiting browser sends per minute: one uvicorn process offering push, one not (pages
  poll as under WSGI), the same workers, pages released at random moments; then one
  page per mode held a whole minute, its requests counted.
- N concurrent streams on one uvicorn process: resident memory, CPU while idle, Redis
  connections, and the time for all of them to see one job's end.
- The async twins (a lookup, a start): native ``redis.asyncio`` against a thread of the
  pool, and the sync call.
- The same page as a sync and as an async view under uvicorn: pages per second, finished
  and running.

Needs the ``test`` extra (uvicorn, Playwright) and Debian's Chromium; Redis at
``REDIS_URL`` (default redis://127.0.0.1:6379/15, a database the run may empty).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("RQ_POLL_CHROMIUM", "/usr/bin/chromium")


def _threaded(func: Any) -> Any:
    """The sync function in a thread per call: what an async twin cost before the twins
    awaited redis.asyncio, kept here to compare with."""
    from asgiref.sync import sync_to_async

    return sync_to_async(func, thread_sensitive=False)


def _env(redis_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.push_settings",
        "REDIS_URL": redis_url,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        **extra,
    }


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _uvicorn(port: int, redis_url: str, push: bool) -> subprocess.Popen[bytes]:
    args = ["-m", "uvicorn", "bench.asgi:application", "--port", str(port)]
    args += ["--host", "127.0.0.1", "--no-access-log", "--timeout-graceful-shutdown", "1"]
    return _spawn(args, _env(redis_url, BENCH_PUSH="1" if push else "0"))


def _wait_http(port: int, seconds: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/plain/0/", timeout=2).read()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _ended_at(conn: Any, task_id: str) -> float:
    raw = conn.hget(f"rq:job:{task_id}", "ended_at").decode()
    return datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()


# -- 1. the browser: latency and requests -------------------------------------------------
def browser_figures(
    ports: dict[str, int], conn: Any, *, batches: int, per_mode: int, seed: int
) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from . import views

    rng = random.Random(seed)
    samples: dict[str, list[dict[str, float]]] = {mode: [] for mode in ports}
    counter = iter(range(10**6))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for _ in range(batches):
            opened = []
            for mode, port in ports.items():
                for _ in range(per_mode):
                    n = next(counter)
                    context = browser.new_context()
                    page = context.new_page()
                    seen: list[tuple[float, str]] = []
                    page.on("request", lambda r, seen=seen: seen.append((time.time(), r.url)))
                    page.goto(f"http://127.0.0.1:{port}/held/{n}/")
                    task_id = (
                        page.locator("[data-rq-poll]")
                        .get_attribute("data-rq-poll-status-url")
                        .rstrip("/")
                        .rsplit("/", 1)[1]
                    )
                    opened.append((mode, n, context, page, seen, task_id, time.time()))
            timers = []
            for _, n, *_rest in opened:
                timer = threading.Timer(
                    rng.uniform(1.0, 12.0), conn.set, (views.RELEASE_KEY.format(n=n), 1)
                )
                timer.start()
                timers.append(timer)
            for mode, _n, context, page, seen, task_id, loaded in opened:
                page.wait_for_function(
                    "() => !document.querySelector('[data-rq-poll]')"
                    " && document.readyState === 'complete'",
                    polling=50,  # not requestAnimationFrame: it pauses in pages out of view
                    timeout=90_000,
                )
                origin, loaded_ms, asked_ms, answered_ms = page.evaluate(
                    "() => { const n = performance.getEntriesByType('navigation')[0];"
                    " return [performance.timeOrigin, n.domContentLoadedEventEnd,"
                    " n.requestStart, n.responseEnd]; }"
                )
                told = origin / 1000  # the page starts loading the result: it was told
                shown = (origin + loaded_ms) / 1000
                ended = _ended_at(conn, task_id)
                waiting = [u for t, u in seen if "/rq-poll/" in u]
                minutes = max(ended - loaded, 1e-3) / 60
                samples[mode].append(
                    {
                        "latency_ms": (shown - ended) * 1000,
                        "told_ms": (told - ended) * 1000,
                        # the result page's request: sent, then answered (after told)
                        "asked_ms": asked_ms,
                        "answered_ms": answered_ms,
                        "requests": len(waiting),
                        "requests_per_minute": len(waiting) / minutes,
                        "waited_s": ended - loaded,
                    }
                )
                context.close()
            for timer in timers:
                timer.join()
        browser.close()
    figures = {}
    for mode, rows in samples.items():
        latencies = [r["latency_ms"] for r in rows]
        told = [r["told_ms"] for r in rows]
        figures[mode] = {
            "samples": len(rows),
            "told_p50_ms": round(statistics.median(told), 1),
            "told_p99_ms": round(_percentile(told, 0.99), 1),
            "request_sent_p50_ms_after_told": round(
                statistics.median(r["asked_ms"] for r in rows), 1
            ),
            "response_read_p50_ms_after_told": round(
                statistics.median(r["answered_ms"] for r in rows), 1
            ),
            "latency_p50_ms": round(statistics.median(latencies), 1),
            "latency_p99_ms": round(_percentile(latencies, 0.99), 1),
            "latency_max_ms": round(max(latencies), 1),
            "requests_per_page": round(statistics.mean(r["requests"] for r in rows), 2),
            "requests_per_browser_per_minute": round(
                sum(r["requests"] for r in rows) / sum(r["waited_s"] for r in rows) * 60, 2
            ),
            "mean_wait_s": round(statistics.mean(r["waited_s"] for r in rows), 1),
        }
    return figures


def minute_figures(ports: dict[str, int], conn: Any, *, seconds: float) -> dict[str, Any]:
    """Requests one browser sends while its page waits ``seconds`` (a minute by default),
    per mode: the issue's "requests per waiting browser per minute", counted directly."""
    from playwright.sync_api import sync_playwright

    from . import views

    figures: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        pages = []
        for n, (mode, port) in enumerate(ports.items(), start=2 * 10**7):
            context = browser.new_context()
            page = context.new_page()
            seen: list[str] = []
            page.on("request", lambda r, seen=seen: seen.append(r.url))
            page.goto(f"http://127.0.0.1:{port}/held/{n}/")
            pages.append((mode, n, context, page, seen))
        time.sleep(seconds)
        for mode, n, context, page, seen in pages:
            waiting = [u for u in seen if "/rq-poll/" in u]
            figures[mode] = {"seconds": seconds, "requests_while_waiting": len(waiting)}
            conn.set(views.RELEASE_KEY.format(n=n), 1)
            page.wait_for_function(
                "() => !document.querySelector('[data-rq-poll]')", polling=50, timeout=90_000
            )
            context.close()
        browser.close()
    return figures


# -- 2. many streams on one process ---------------------------------------------------------
def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _open_stream(port: int, path: str, opened: asyncio.Event, counter: list[int]) -> float:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    buffer = b""
    while b"event: state" not in buffer:
        chunk = await reader.read(65536)
        if not chunk:
            raise RuntimeError(f"stream closed early: {buffer[:300]!r}")
        buffer += chunk
    counter[0] += 1
    if counter[0] == counter[1]:
        opened.set()
    while b"event: done" not in buffer:
        chunk = await reader.read(65536)
        if not chunk:
            raise RuntimeError("stream closed before the end")
        buffer = buffer[-64:] + chunk
    done_at = time.time()
    writer.close()
    return done_at


def stream_figures(
    port: int, server: subprocess.Popen[bytes], conn: Any, *, streams: int, idle: float
) -> dict[str, Any]:
    import django_rq_poll as poll

    from . import views

    key = views.RELEASE_KEY.format(n="streams")
    task_id = poll.begin_process("bench.tasks.hold", (key,))
    while not conn.get(f"{key}:started"):
        time.sleep(0.05)
    path = f"/rq-poll/events/{task_id}/"
    rss_before = _rss_kb(server.pid)

    async def run() -> dict[str, Any]:
        opened = asyncio.Event()
        counter = [0, streams]
        started = time.monotonic()
        tasks = [
            asyncio.create_task(_open_stream(port, path, opened, counter)) for _ in range(streams)
        ]
        await asyncio.wait_for(opened.wait(), 300)
        open_s = time.monotonic() - started
        await asyncio.sleep(2)
        rss_open = _rss_kb(server.pid)
        cpu0 = _cpu_seconds(server.pid)
        await asyncio.sleep(idle)
        cpu_idle = (_cpu_seconds(server.pid) - cpu0) / idle
        connections = [
            c["name"] for c in conn.client_list() if c["name"].startswith("rq_poll:push:")
        ]
        await asyncio.to_thread(conn.set, key, 1)
        done = await asyncio.gather(*tasks)
        ended = _ended_at(conn, task_id)
        return {
            "streams": streams,
            "seconds_to_open_all": round(open_s, 2),
            "rss_mb_before": round(rss_before / 1024, 1),
            "rss_mb_with_streams": round(rss_open / 1024, 1),
            "rss_kb_per_stream": round((rss_open - rss_before) / streams, 1),
            "idle_cpu_percent": round(cpu_idle * 100, 2),
            "redis_connections_of_push": len(connections),
            "all_saw_the_end_ms_after_job_end": round((max(done) - ended) * 1000, 1),
            "first_saw_the_end_ms_after_job_end": round((min(done) - ended) * 1000, 1),
        }

    return asyncio.run(run())


# -- 3. async twins ---------------------------------------------------------------------------
def twin_figures(conn: Any, *, calls: int) -> dict[str, Any]:
    import django_rq_poll as poll
    from django_rq_poll import aapi as atwins
    from django_rq_poll import api

    task_id = poll.begin_process("bench.tasks.summary", (1,), polling_url="/twins/")
    deadline = time.monotonic() + 60
    while poll.get_process_status(task_id=task_id) is not poll.State.COMPLETE:
        assert time.monotonic() < deadline, "the workers never ran the job"
        time.sleep(0.05)

    def sync_loop() -> float:
        started = time.perf_counter()
        for _ in range(calls):
            poll.get_process_snapshot("/twins/", result=True)
        return (time.perf_counter() - started) / calls

    async def async_loop(call: Any) -> float:
        await call("/twins/", result=True)  # warm: connection, reader, executor
        started = time.perf_counter()
        for _ in range(calls):
            await call("/twins/", result=True)
        return (time.perf_counter() - started) / calls

    async def concurrent(call: Any, width: int = 100) -> float:
        started = time.perf_counter()
        for _ in range(max(1, calls // width)):
            await asyncio.gather(*(call("/twins/", result=True) for _ in range(width)))
        return (time.perf_counter() - started) / (max(1, calls // width) * width)

    def sync_start() -> float:
        started = time.perf_counter()
        for n in range(starts):
            poll.begin_process("bench.tasks.summary", (n,), polling_url=f"/s/{n}", queue="idle")
        return (time.perf_counter() - started) / starts

    async def start_loop(call: Any, tag: str) -> float:
        started = time.perf_counter()
        for n in range(starts):
            await call("bench.tasks.summary", (n,), polling_url=f"/{tag}/{n}", queue="idle")
        return (time.perf_counter() - started) / starts

    async def run() -> dict[str, float]:
        return {
            "threaded_us": await async_loop(_threaded(api.get_process_snapshot)),
            "native_us": await async_loop(atwins.aget_process_snapshot),
            "threaded_100_concurrent_us": await concurrent(_threaded(api.get_process_snapshot)),
            "native_100_concurrent_us": await concurrent(atwins.aget_process_snapshot),
            "start_threaded_us": await start_loop(_threaded(api.begin_process), "t"),
            "start_native_us": await start_loop(atwins.abegin_process, "n"),
        }

    starts = max(50, calls // 4)  # jobs begun on a queue no worker takes ("idle")
    rounds = []
    for _ in range(3):
        rounds.append((sync_loop(), sync_start(), asyncio.run(run())))
        conn.delete(*conn.keys("rq:job:*"), "rq:queue:idle")
    figures = {
        "sync_us": round(statistics.median(r[0] for r in rounds) * 1e6, 1),
        "start_sync_us": round(statistics.median(r[1] for r in rounds) * 1e6, 1),
    }
    for name in rounds[0][2]:
        figures[name] = round(statistics.median(r[2][name] for r in rounds) * 1e6, 1)
    figures["native_vs_threaded"] = round(figures["native_us"] / figures["threaded_us"], 2)
    figures["native_vs_sync"] = round(figures["native_us"] / figures["sync_us"], 2)
    figures["start_native_vs_threaded"] = round(
        figures["start_native_us"] / figures["start_threaded_us"], 2
    )
    figures["start_native_vs_sync"] = round(
        figures["start_native_us"] / figures["start_sync_us"], 2
    )
    return figures


# -- 4. an async view against a sync one, under uvicorn -----------------------------------------
def view_figures(port: int, conn: Any, *, requests: int, clients: int) -> dict[str, Any]:
    """Pages per second of the same page as a sync and as an async view, in one uvicorn
    process: finished (one lookup, the result rendered) and running (a job held)."""
    from . import loadgen, views

    def ready(path: str, status: int) -> None:
        deadline = time.monotonic() + 60
        while loadgen.load(port, path, clients=1, requests=1, max_seconds=5, expect=status)[
            "errors"
        ]:
            assert time.monotonic() < deadline, f"{path} never answered {status}"
            time.sleep(0.1)

    figures: dict[str, Any] = {}
    held = 10**7  # apart from the browser figures' held/<n>/ pages, numbered from 0
    for kind, n, status in (("finished", 1, 200), ("running", held, 202)):
        for view in ("report", "areport") if kind == "finished" else ("held", "aheld"):
            path = f"/{view}/{n}/"
            ready(path, status)
            if kind == "running":  # the job is taken by a worker: the page asks no queue
                key = views.RELEASE_KEY.format(n=n)
                deadline = time.monotonic() + 60
                while not conn.get(f"{key}:started") or conn.llen("rq:queue:default"):
                    assert time.monotonic() < deadline, "the held job never started"
                    time.sleep(0.05)
            best = max(
                (
                    loadgen.load(
                        port,
                        path,
                        clients=clients,
                        requests=requests,
                        max_seconds=60,
                        expect=status,
                    )
                    for _ in range(3)
                ),
                key=lambda r: r["rps"],
            )
            assert best["errors"] == 0, best
            figures[f"{kind}_{'async' if view.startswith('a') else 'sync'}"] = {
                "rps": round(best["rps"], 1),
                "p50_ms": round(best["p50_ms"], 2),
                "p99_ms": round(best["p99_ms"], 2),
            }
    for kind in ("finished", "running"):
        figures[f"{kind}_async_vs_sync_rps"] = round(
            figures[f"{kind}_async"]["rps"] / figures[f"{kind}_sync"]["rps"], 2
        )
    conn.set(views.RELEASE_KEY.format(n=held), 1)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.push", description=__doc__)
    parser.add_argument("--batches", type=int, default=6)
    parser.add_argument("--per-mode", type=int, default=4, help="pages per mode per batch")
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle CPU sampled")
    parser.add_argument("--calls", type=int, default=2000, help="calls per async twin figure")
    parser.add_argument("--view-requests", type=int, default=2000, help="per view figure")
    parser.add_argument("--view-clients", type=int, default=8)
    parser.add_argument("--minute", type=float, default=60.0, help="seconds of one long wait")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", default=str(ROOT / "artifacts" / "bench-push.json"))
    options = parser.parse_args(argv)

    redis_url = os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.push_settings"
    import django

    django.setup()
    from .run import _claim_database, _machine

    conn = _claim_database(redis_url)
    workers = [
        _spawn(["-m", "django", "rqworker", "default"], _env(redis_url))
        for _ in range(2 * options.per_mode)
    ]
    ports = {"push": 8172, "polling": 8173}
    servers = {mode: _uvicorn(port, redis_url, mode == "push") for mode, port in ports.items()}
    results: dict[str, Any] = {"machine": _machine(conn)}
    try:
        for port in ports.values():
            _wait_http(port)
        results["twins"] = twin_figures(conn, calls=options.calls)
        print("async twins:", json.dumps(results["twins"]), flush=True)
        results["views"] = view_figures(
            ports["polling"], conn, requests=options.view_requests, clients=options.view_clients
        )
        print("views:", json.dumps(results["views"]), flush=True)
        results["browser"] = browser_figures(
            ports, conn, batches=options.batches, per_mode=options.per_mode, seed=options.seed
        )
        print("browser:", json.dumps(results["browser"]), flush=True)
        results["minute"] = minute_figures(ports, conn, seconds=options.minute)
        print("one long wait:", json.dumps(results["minute"]), flush=True)
        results["streams"] = stream_figures(
            ports["push"], servers["push"], conn, streams=options.streams, idle=options.idle
        )
        print("streams:", json.dumps(results["streams"]), flush=True)
    finally:
        for proc in [*servers.values(), *workers]:
            proc.terminate()
        for proc in [*servers.values(), *workers]:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    Path(options.json).parent.mkdir(parents=True, exist_ok=True)
    Path(options.json).write_text(json.dumps(results, indent=2))
    print(f"written to {options.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
