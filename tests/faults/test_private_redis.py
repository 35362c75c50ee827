"""The private servers of the fault tests clean up after themselves."""

from __future__ import annotations

import os
import tempfile

from tests.faults.conftest import PrivateRedis
from tests.faults.helpers import DURABLE


def test_a_durable_server_keeps_its_data_across_restarts_and_leaves_nothing_behind():
    data_dir = tempfile.mkdtemp(prefix="rq-poll-aof-")
    server = PrivateRedis(*DURABLE, data_dir=data_dir)
    scratch = [server.server.workdir]
    server.client().set("kept", b"1")
    server.stop()
    server.start()
    scratch.append(server.server.workdir)
    assert server.client().get("kept") == b"1"  # the append-only file outlived the restart
    server.close()
    assert [p for p in [data_dir, *scratch] if os.path.exists(p)] == []
