"""The README's quick start, followed to the letter in a fresh project.

Its code blocks are taken from README.md: a block whose first line names a file
(``# myapp/views.py``, ``{# myapp/templates/myapp/add.html #}``) is written to that file,
or appended to it when the line says ``: add at the end``; the shell blocks' commands are
run as given. The site then runs with ``runserver`` and a real ``rqworker``, and a real
HTTP request sees the running page (202) and then the result (200).

The one change made to the README's text: its Redis URL is replaced by the test's own
``REDIS_URL``, so the run uses (and may empty) the test's database, not db 0.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README_REDIS_URL = "redis://127.0.0.1:6379/0"
FENCE = re.compile(r"^```(?P<lang>[\w+-]*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)
FILE_LINE = re.compile(r"^(?:# |\{# )(?P<path>[\w./-]+)(?P<append>: add at the end)?(?: #\})?$")


def readme_blocks() -> list[tuple[str, str]]:
    """(language, text) of every fenced block in the README's quick start."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Quick start") :]
    section = section[: section.index("\n## ", 1)]
    return [(m["lang"], m["body"]) for m in FENCE.finditer(section)]


def files_from(blocks: list[tuple[str, str]]) -> list[tuple[str, bool, str]]:
    """(path, append, content) for each block that names a file on its first line."""
    found = []
    for _lang, body in blocks:
        first, _, rest = body.partition("\n")
        match = FILE_LINE.match(first)
        if match:
            found.append((match["path"], bool(match["append"]), rest))
    return found


def commands_from(blocks: list[tuple[str, str]]) -> list[str]:
    """The shell commands, without comments and without the install lines."""
    lines = []
    for lang, body in blocks:
        if lang != "shell":
            continue
        for line in body.splitlines():
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("pip "):
                lines.append(line)
    return lines


def test_the_readme_names_every_file_and_command_it_needs() -> None:
    blocks = readme_blocks()
    paths = [path for path, _append, _content in files_from(blocks)]
    assert paths == [
        "mysite/settings.py",
        "myapp/tasks.py",
        "myapp/views.py",
        "myapp/templates/myapp/add.html",
        "mysite/urls.py",
    ]
    assert commands_from(blocks) == [
        "django-admin startproject mysite .",
        "python manage.py startapp myapp",
        "python manage.py migrate",
        "python manage.py runserver",
        "python manage.py rqworker default",
    ]
    settings = {p: c for p, _a, c in files_from(blocks)}["mysite/settings.py"]
    assert README_REDIS_URL in settings  # the URL the test substitutes below
    for command in commands_from(blocks):  # run split on spaces: nothing to quote
        assert not set("'\"$`|&;<>") & set(command), command


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


class Project:
    """The quick start's project in a folder of its own, run with this interpreter."""

    def __init__(self, where: Path, redis_url: str) -> None:
        self.where = where
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        # Only what the README says: the project's own settings, no test paths.
        for name in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH"):
            self.env.pop(name, None)
        self.redis_url = redis_url
        self.procs: list[subprocess.Popen[bytes]] = []

    def argv(self, command: str) -> list[str]:
        words = command.split()
        if words[0] == "django-admin":
            return [sys.executable, "-m", "django", *words[1:]]
        assert words[0] == "python", command
        return [sys.executable, *words[1:]]

    def run(self, command: str) -> None:
        done = subprocess.run(
            self.argv(command), cwd=self.where, env=self.env, capture_output=True, text=True
        )
        assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"

    def start(self, argv: list[str], log: Path) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            argv, cwd=self.where, env=self.env, stdout=log.open("wb"), stderr=subprocess.STDOUT
        )
        self.procs.append(proc)
        return proc

    def write(self, path: str, append: bool, content: str) -> None:
        # The README's Redis URL becomes the test's database (see the module docstring).
        content = content.replace(README_REDIS_URL, self.redis_url)
        target = self.where / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if append:
            content = target.read_text() + "\n" + content
        target.write_text(content)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_the_readme_quick_start_runs_end_to_end(tmp_path, settings, redis_db) -> None:
    blocks = readme_blocks()
    commands = commands_from(blocks)
    project = Project(tmp_path / "site", settings.REDIS_URL)
    project.where.mkdir()
    for command in commands:
        if command.startswith(("django-admin startproject", "python manage.py startapp")):
            project.run(command)
    for path, append, content in files_from(blocks):
        project.write(path, append, content)
    project.run("python manage.py check --fail-level WARNING")
    assert "python manage.py migrate" in commands
    project.run("python manage.py migrate")

    port = _free_port()
    assert "python manage.py runserver" in commands
    server_log = tmp_path / "runserver.log"
    worker_log = tmp_path / "rqworker.log"
    try:
        project.start(
            [*project.argv("python manage.py runserver"), f"127.0.0.1:{port}", "--noreload"],
            server_log,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = _get(f"{base}/add/3/5/")
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, server_log.read_text()
                time.sleep(0.2)
        assert status == 202, body
        assert "Working on it" in body
        assert redis_db.llen("rq:queue:default") == 1  # in the test's own database

        worker = next(c for c in commands if c.startswith("python manage.py rqworker"))
        project.start(project.argv(worker), worker_log)
        deadline = time.monotonic() + 60
        while status == 202:
            assert time.monotonic() < deadline, worker_log.read_text()
            time.sleep(0.3)
            status, body = _get(f"{base}/add/3/5/")
        assert status == 200, body
        assert "<p>3 + 5 = 8</p>" in body
    finally:
        project.stop()


def test_what_you_get_names_every_public_function():
    """The README's list of functions is the package's (it once left one out)."""
    from django_rq_poll import api

    readme = (ROOT / "README.md").read_text()
    listed = readme.split("## What you get", 1)[1].split("\n- `django_rq_poll.views", 1)[0]
    missing = [name for name in api.__all__ if name != "StatusText" and f"`{name}`" not in listed]
    assert missing == []
