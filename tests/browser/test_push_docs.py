"""docs/push.rst's steps, followed on a fresh ``startproject`` as the page gives them.

The steps are read from the page itself (its shell commands and the files it includes,
each written where its caption says), so the page cannot drift from what runs: the
project is served by uvicorn as the page says, a real ``rqworker`` runs the job, and
Chromium sees the result arrive by push, with not one poll.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from tests.demo_process import ROOT, free_port
from tests.processes import kill_session

PUSH = ROOT / "docs" / "push.rst"
STEPS_START = ".. _push-steps:"
STEPS_END = "Under WSGI, and shutting down"
LONG_RUNNING = ("uvicorn", "rqworker")  # what the page runs in a terminal of its own
APPENDED = " (added at the end)"


@dataclass(frozen=True)
class Step:
    command: list[str] | None = None  # a shell command
    source: Path | None = None  # or a file the page includes...
    target: str = ""  # ...written at this path of the project
    append: bool = False  # (or added at the end of the file there)


def read_steps(text: str) -> list[Step]:
    """The commands of the section's ``shell`` blocks and its ``literalinclude`` files,
    in the page's order."""
    section = text[text.index(STEPS_START) : text.index(STEPS_END)]
    steps: list[Step] = []
    lines = section.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(".. code-block:: shell"):
            for body in lines[i + 1 :]:
                if body and not body.startswith(" "):
                    break
                command = body.split("#", 1)[0].strip()
                if command:
                    steps.append(Step(command=shlex.split(command)))
        elif include := re.match(r"\.\. literalinclude:: (\S+)$", line):
            options = {}
            for body in lines[i + 1 :]:
                option = re.match(r"\s+:(\w+):\s*(.*)$", body)
                if not option:
                    break
                options[option[1]] = option[2]
            caption = options["caption"]
            steps.append(
                Step(
                    source=PUSH.parent / include[1],
                    target=caption.removesuffix(APPENDED),
                    append=caption.endswith(APPENDED),
                )
            )
    return steps


def test_the_page_gives_every_step() -> None:
    steps = read_steps(PUSH.read_text())
    commands = [step.command[0] for step in steps if step.command]
    assert commands == ["django-admin", "python", "python", "uvicorn", "python"]
    targets = [step.target for step in steps if step.source]
    assert "mysite/asgi.py" in targets and "mysite/settings.py" in targets
    assert all(step.source.is_file() for step in steps if step.source)


def test_the_push_extra_brings_an_asgi_server() -> None:
    """The install line names an extra of pyproject.toml, and that extra brings uvicorn
    (scripts/check_wheel.py checks the built wheel's metadata too)."""
    extra = re.search(r'pip install "django-rq-poll\[(\w+)\]"', PUSH.read_text())
    assert extra, "docs/push.rst gives no pip install line with an extra"
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert any(re.match(r"uvicorn\b", need) for need in extras[extra[1]])


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        _resolve(command), cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"{shlex.join(command)} failed:\n{done.stdout}{done.stderr}"


def _resolve(command: list[str]) -> list[str]:
    """``python`` is this interpreter; the others are its virtual environment's scripts."""
    if command[0] == "python":
        return [sys.executable, *command[1:]]
    return [str(Path(sys.executable).parent / command[0]), *command[1:]]


def _wait_until_up(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert server.poll() is None, f"uvicorn exited:\n{log.read_text()}"
        try:
            urllib.request.urlopen(base + "/", timeout=5).close()
            return
        except urllib.error.HTTPError:
            return  # it answers (startproject's "/" is a 404 once the URLs are replaced)
        except OSError:
            assert time.monotonic() < deadline, f"uvicorn never answered:\n{log.read_text()}"
            time.sleep(0.2)


def test_a_fresh_project_following_the_push_page_updates_by_push(
    tmp_path: Path, page: Any, settings: Any
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    env = {**os.environ, "REDIS_URL": settings.REDIS_URL}
    for name in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH"):
        env.pop(name, None)  # the fresh project's own settings, not the suite's
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    background: dict[str, list[str]] = {}
    for step in read_steps(PUSH.read_text()):
        if step.command:
            name = "rqworker" if "rqworker" in step.command else step.command[0]
            if name in LONG_RUNNING:
                background[name] = step.command  # started below, when the test needs it
            else:
                _run(step.command, project, env)
        else:
            assert step.source is not None
            target = project / step.target
            target.parent.mkdir(parents=True, exist_ok=True)
            text = step.source.read_text()
            if step.append:
                assert target.exists(), f"{step.target} should exist by now"
                text = target.read_text() + "\n" + text
            target.write_text(text)
    assert set(background) == {"uvicorn", "rqworker"}

    started: list[subprocess.Popen[bytes]] = []

    def start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            _resolve(command),
            cwd=project,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its children (work-horses) stay in its session
        )
        started.append(proc)
        return proc

    try:
        uvicorn_log = tmp_path / "uvicorn.log"
        server = start(
            [*background["uvicorn"], "--host", "127.0.0.1", "--port", str(port)], uvicorn_log
        )
        _wait_until_up(base, server, uvicorn_log)
        requests: list[str] = []
        scripts: dict[str, int] = {}  # each script's URL: its status

        def on_response(response: Any) -> None:
            if response.url.endswith(".js"):
                scripts[response.url] = response.status

        page.on("request", lambda request: requests.append(request.url))
        page.on("response", on_response)

        response = page.goto(base + "/add/3/5/")
        assert response.status == 202
        events = page.locator("[data-rq-poll]").get_attribute("data-rq-poll-events-url")
        assert events, "the running page offers no event stream under uvicorn"
        channel = "rq_poll:events:" + events.rstrip("/").rsplit("/", 1)[1]
        listening = redis.Redis.from_url(settings.REDIS_URL)
        deadline = time.monotonic() + 30
        while dict(listening.pubsub_numsub(channel))[channel.encode()] != 1:
            assert time.monotonic() < deadline, (
                f"the page never opened its stream; scripts: {scripts}\n{uvicorn_log.read_text()}"
            )
            page.wait_for_timeout(100)
        assert "3 + 5 = 8" not in page.content()  # nothing has run it yet

        start(background["rqworker"], tmp_path / "rqworker.log")
        page.get_by_text("3 + 5 = 8").wait_for(timeout=60_000)
        assert page.url == base + "/add/3/5/"
        assert [u for u in requests if "/rq-poll/status/" in u] == []  # not one poll
        assert len([u for u in requests if "/rq-poll/events/" in u]) == 1
        assert requests.count(base + "/add/3/5/") == 2  # the page, then its result
        assert scripts == {f"{base}/static/django_rq_poll/poll.js": 200}
        # A fresh project has no favicon; anything else the console reports is a failure.
        assert [e for e in page.errors if not e[1].endswith("/favicon.ico")] == []
    finally:
        for proc in started:
            kill_session(proc.pid)
            proc.wait()
