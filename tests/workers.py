"""The rq workers the tests run in their own process, in burst mode.

rq's worker joins a pub/sub channel for commands (stop a job, shut down) and leaves it
at the end of a burst. A burst in the test's own process takes no command, and leaving
can stall: rq 2.12's channel thread waits out its 60-s sleep for a subscription when it
reads the unsubscribe reply before its stop flag, and redis-py 8's ``stop()`` joins that
thread (seen here about once in ten bursts, a minute each). These workers never join.
Long-running ``rqworker`` processes keep the channel: the tests that stop one warmly
allow for that minute (:func:`stop_warmly`).
"""

from __future__ import annotations

import signal
import subprocess

from rq import SimpleWorker, Worker


class _NoCommandChannel:
    def subscribe(self) -> None:
        pass

    def unsubscribe(self) -> None:
        pass


class BurstWorker(_NoCommandChannel, Worker):
    """rq's forking worker: each job in a work-horse, as ``rqworker`` runs it."""


class InProcessWorker(_NoCommandChannel, SimpleWorker):
    """rq's SimpleWorker: jobs in the test's own process, where mutmut sees them."""


# ``rqworker`` in burst mode, as a process, with the worker above: the same work-horses,
# and no minute's stall when the burst ends.
BURST = ("--burst", "--worker-class", f"{__name__}.BurstWorker")


# A warm stop of an rqworker process: up to the minute above, and some.
WARM_SHUTDOWN = 90


def stop_warmly(proc: subprocess.Popen[bytes]) -> int:
    """SIGTERM an rqworker and wait for its warm shutdown; its exit code."""
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=WARM_SHUTDOWN)
