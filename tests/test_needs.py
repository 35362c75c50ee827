"""A test that lacks a redis-server binary or Chromium skips on a developer's machine and
fails under ``RQ_POLL_REQUIRE_ALL=1`` (``.ci/run``) or ``CI=true``; the suite then also
refuses to fall back to an embedded Redis."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests import needs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLEAN = {needs.REQUIRE_ALL: "", needs.REQUIRE_REDIS: "", "CI": ""}


def _outcome(func, *args) -> tuple[str, str]:
    """Run ``func`` and say how it ended; pytest.raises would let a skip skip this test."""
    try:
        func(*args)
    except pytest.fail.Exception as exc:
        return "failed", str(exc)
    except pytest.skip.Exception as exc:
        return "skipped", str(exc)
    return "returned", ""


@pytest.fixture
def env(monkeypatch):
    for name in CLEAN:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    ("variables", "required"),
    [
        ({}, False),
        ({needs.REQUIRE_ALL: "1"}, True),
        ({"CI": "true"}, True),
        ({needs.REQUIRE_ALL: "0"}, False),
        ({"CI": "false"}, False),
        ({needs.REQUIRE_REDIS: "1"}, False),  # a real Redis only, not every part
    ],
)
def test_missing_skips_or_fails(env, variables, required):
    for name, value in variables.items():
        env.setenv(name, value)
    kind, message = _outcome(needs.missing, "no widget here")
    assert kind == ("failed" if required else "skipped")
    assert message.startswith("no widget here")


@pytest.mark.parametrize("required", [False, True])
def test_no_redis_server_binary(env, tmp_path, required):
    env.setenv("PATH", str(tmp_path))  # a PATH where no redis-server can be found
    if required:
        env.setenv(needs.REQUIRE_ALL, "1")
    kind, message = _outcome(needs.redis_server_binary)
    assert kind == ("failed" if required else "skipped")
    assert "apt-get install -y redis-server" in message


def test_a_redis_server_binary_is_found(env):
    env.setenv(needs.REQUIRE_ALL, "1")
    assert needs.redis_server_binary().endswith("redis-server")


@pytest.mark.parametrize(
    "variables",
    [{needs.REQUIRE_ALL: "1"}, {"CI": "true"}, {needs.REQUIRE_REDIS: "1"}],
)
def test_no_fallback_redis_when_every_part_is_required(variables):
    env = {k: v for k, v in os.environ.items() if k not in CLEAN}
    done = subprocess.run(
        [sys.executable, "-c", "from tests import redis_server; redis_server.ensure()"],
        env={**env, **variables, "REDIS_URL": "redis://127.0.0.1:1/0", "PYTHONPATH": ROOT},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "forbids falling back to an embedded one" in done.stderr


def test_the_suite_counts_a_missing_part_as_a_failure(tmp_path):
    """End to end: pytest reports the test failed (not skipped) under RQ_POLL_REQUIRE_ALL."""
    (tmp_path / "test_inner.py").write_text(
        "from tests import needs\n\ndef test_needs_chromium():\n    needs.missing('no Chromium')\n"
    )
    base = {k: v for k, v in os.environ.items() if k not in CLEAN and k != "DJANGO_SETTINGS_MODULE"}
    outcomes = {}
    for label, extra in (("plain", {}), ("required", {needs.REQUIRE_ALL: "1"})):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-p",
                "no:django",
                "-p",
                "no:cacheprovider",
                "-q",
                "-rfs",
                str(tmp_path / "test_inner.py"),
            ],
            env={**base, **extra, "PYTHONPATH": ROOT},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        outcomes[label] = (done.returncode, "1 skipped" in done.stdout, "1 failed" in done.stdout)
    assert outcomes == {"plain": (0, True, False), "required": (1, False, True)}


def test_ci_requires_every_part():
    """.ci/run sets the variable whatever CI says, and installs what the skips would need."""
    with open(os.path.join(ROOT, ".ci", "run"), encoding="utf-8") as fh:
        script = fh.read()
    assert "export RQ_POLL_REQUIRE_ALL=1" in script
    assert "install_debian_package redis-server" in script
    assert "install_debian_package chromium" in script
