"""Stopping the worker processes the tests start, work-horses included."""

from __future__ import annotations

import contextlib
import os
import signal
import time


def _members(leader: int) -> list[int]:
    """The live (not zombie) processes of the session ``leader`` started."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        # state, ppid, pgrp, then the session id
        if int(fields[3]) == leader and fields[0] != "Z":
            found.append(int(entry))
    return found


def kill_session(leader: int) -> None:
    """SIGKILL a worker and every process of its session, and wait until they are gone.

    rq's work-horse puts itself in a process group of its own (setpgrp), so killing the
    worker alone leaves the horse running its job: finishing after the next test emptied
    the database, it wrote a job hash into that test's data (a stray fourth job among a
    cap of three, once). The wait matters too: a child (the horse, or the scheduler
    process of ``--with-scheduler``) holds the worker's Redis sockets, and while one is
    alive Redis still counts the dead worker's BLPOP as waiting and may hand it the next
    test's job: the likely cause of a job lost once in a few runs of tests/backends
    under load (queued, in no queue, the test's worker idle).
    """
    deadline = time.monotonic() + 10
    while True:
        members = _members(leader)
        if not members:
            return
        for pid in members:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if time.monotonic() > deadline:  # a process that will not die: let the test go on
            return
        time.sleep(0.01)
