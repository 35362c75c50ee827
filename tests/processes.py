"""Stopping the worker processes the tests start, work-horses included."""

from __future__ import annotations

import contextlib
import os
import signal


def kill_session(leader: int) -> None:
    """SIGKILL a worker and every process of its session. rq's work-horse puts itself in
    a process group of its own (setpgrp), so killing the worker alone leaves the horse
    running its job: finishing after the next test emptied the database, it wrote a job
    hash into that test's data (a stray fourth job among a cap of three, once)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[3]) == leader:  # the session id, after state, ppid and pgrp
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry), signal.SIGKILL)
