"""``make demo``'s launcher, run for real: it serves pages, runs jobs, and Ctrl-C stops
everything it started (and nothing else)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from tests import needs
from tests.demo_process import (
    ROOT,
    Demo,
    alive_in_groups,
    descendants,
    free_port,
    is_rq_worker,
    proc_stat,
)


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
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env["TMPDIR"] = str(scratch)  # where its redis-server's folder goes
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
    assert list(scratch.glob("rq-poll-*")) == []  # its scratch folder is removed too


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


def _time_wait_port() -> int:
    """A port with a connection in TIME_WAIT on it and nothing listening: what Ctrl-C on
    the demo leaves behind (the side that closes first keeps TIME_WAIT)."""
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        accepted.close()  # the server's side closes first: TIME_WAIT on our port
        client.recv(1)
        client.close()
    return port


def test_a_connection_in_time_wait_does_not_block_the_port() -> None:
    from demo.run import _port_free

    port = _time_wait_port()
    with socket.socket() as bare, pytest.raises(OSError, match="in use"):
        bare.bind(("127.0.0.1", port))  # what the old probe did: refused for up to a minute
    assert _port_free(port)


def test_a_worker_that_keeps_exiting_is_started_again_with_a_growing_back_off() -> None:
    from demo import run

    launcher = run.Demo(0, "redis://127.0.0.1:1/0")
    child = launcher.spawn("rqworker", [sys.executable, "-c", "pass"], restart=True)
    child.proc.wait(timeout=30)
    now = child.started_at
    delays = []
    for _ in range(7):
        launcher.supervise(now)  # notices the exit, schedules the restart
        assert child.restart_at is not None
        delays.append(child.restart_at - now)
        old = child.proc
        launcher.supervise(child.restart_at)  # due: started again
        assert child.proc is not old
        child.proc.wait(timeout=30)
        now = child.restart_at or child.started_at
    assert delays == pytest.approx([1, 2, 4, 8, 16, 30, 30])  # float clock: not exact
    assert launcher.dead_child() is None  # workers never stop the demo
    # One that ran steadily for a while before exiting is started again soon.
    launcher.supervise(child.started_at + run.STEADY_AFTER)
    assert child.restart_at == child.started_at + run.STEADY_AFTER + run.FIRST_BACK_OFF
    launcher.stop()


def _workers(demo: Demo) -> set[int]:
    return {
        pid
        for pid in descendants(demo.proc.pid)
        if is_rq_worker(pid) and (proc_stat(pid) or (0, 0))[0] == demo.proc.pid
    }


def test_a_worker_that_dies_is_started_again(tmp_path, settings) -> None:
    demo = Demo(tmp_path, settings.REDIS_URL)
    try:
        demo.wait_until_up()
        (first,) = _workers(demo)
        os.killpg(first, signal.SIGKILL)  # as rq's worker exits when Redis blips
        deadline = time.monotonic() + 60
        while not (_workers(demo) - {first}):
            assert demo.proc.poll() is None, demo.output()
            assert time.monotonic() < deadline, demo.output()
            time.sleep(0.2)
        assert "rqworker exited with code -9; starting it again in 1 s." in demo.output()
        assert "Started rqworker again" in demo.output()
        assert '<output id="result">9</output>' in demo.wait_for_result("/add/4/5/")
        assert demo.interrupt() == 0
    finally:
        demo.kill()


def test_killing_the_demo_in_a_failed_test_leaves_no_process_behind(tmp_path, settings) -> None:
    demo = Demo(tmp_path, settings.REDIS_URL)
    try:
        demo.wait_until_up()
        started = descendants(demo.proc.pid)
        assert _workers(demo)
    finally:
        demo.kill()  # what a failing test's clean-up does: no Ctrl-C, no clean stop
    assert {p for p in started if proc_stat(p) is not None} == set()


def test_the_home_page_offers_every_region_a_report_links():
    """The report page links every region of demo.views.REGIONS: so does the home page."""
    import ast
    import re

    demo = Path(__file__).resolve().parent.parent / "demo"
    (regions,) = re.findall(r"^REGIONS = (\(.*\))$", (demo / "views.py").read_text(), re.M)
    home = (demo / "templates/demo/home.html").read_text()
    linked = re.findall(r"\{% url 'report' '(\w+)'(?: as \w+)? %\}", home)
    assert set(linked) == set(ast.literal_eval(regions))


# (Accept-Language, Content-Language, the home page's heading, the running page's text from
# django-rq-poll's own catalog, the result page's text from the demo's)
LANGUAGES = [
    (
        "de",
        "de",
        "Langsame Arbeit hinter gewöhnlichen Seiten",
        "Dieser Vorgang wurde gestartet",
        "Andere Zahlen",
    ),
    (
        "es",
        "es",
        "Trabajo lento detrás de páginas corrientes",
        "Este proceso se ha iniciado",
        "Pruebe otros números",
    ),
    (
        "fr",
        "fr",
        "Du travail lent derrière des pages ordinaires",
        "Ce traitement a démarré",
        "Essayez d\u2019autres nombres",
    ),
    (
        "pt-BR",
        "pt-br",
        "Trabalho lento por trás de páginas comuns",
        "Este processo foi iniciado",
        "Experimente outros números",
    ),
    (
        "en-US,en;q=0.9",
        "en",
        "Slow work behind ordinary pages",
        "This process has begun",
        "Try other numbers",
    ),
]


def test_the_demo_answers_in_the_visitors_language(tmp_path, settings) -> None:
    """Accept-Language picks the language of every page, the package's running page and
    the demo's own strings alike, and the response says which (Content-Language)."""
    demo = Demo(tmp_path, settings.REDIS_URL)
    try:
        demo.wait_until_up()
        for n, (accept, content, home, running, result) in enumerate(LANGUAGES):
            headers = {"Accept-Language": accept}
            status, body, answered = demo.request("/", headers)
            assert (status, answered["Content-Language"]) == (200, content)
            assert f'<html lang="{content}">' in body
            assert home in body
            status, body, answered = demo.request(f"/add/{n}/1/", headers)
            assert (status, answered["Content-Language"]) == (202, content), body
            assert running in body
            assert result in demo.wait_for_result(f"/add/{n}/1/", headers=headers)
        status, body, answered = demo.request("/processes/", {"Accept-Language": "de"})
        assert "Letzte Vorgänge" in body and ">fertig</span>" in body  # a state's label
    finally:
        demo.kill()


def test_the_demo_offers_the_languages_of_the_packages_catalogs() -> None:
    from django.utils.translation import to_locale

    from demo import settings as demo_settings

    offered = {to_locale(code) for code, _ in demo_settings.LANGUAGES} - {"en"}
    catalogs = {p.name for p in (ROOT / "django_rq_poll" / "locale").iterdir() if p.is_dir()}
    demo_catalogs = {p.name for p in (ROOT / "demo" / "locale").iterdir() if p.is_dir()}
    assert offered == catalogs == demo_catalogs
    assert demo_settings.LANGUAGE_CODE == "en"
    assert "django.middleware.locale.LocaleMiddleware" in demo_settings.MIDDLEWARE
