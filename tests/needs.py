"""What a test needs from the machine: skip without it, or fail when every part must run.

Some tests need a ``redis-server`` binary (private servers to kill) or Chromium (the
browser tests). On a developer's machine without them they skip, with the reason. With
``RQ_POLL_REQUIRE_ALL=1`` (``.ci/run`` sets it) or ``CI=true`` each such skip is a
failure instead, and the suite refuses to fall back to an embedded Redis (as
``RQ_POLL_REQUIRE_REDIS=1``): CI can never pass while a part of the suite did not run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from typing import NoReturn

REQUIRE_ALL = "RQ_POLL_REQUIRE_ALL"
REQUIRE_REDIS = "RQ_POLL_REQUIRE_REDIS"


def every_part_required(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get(REQUIRE_ALL) == "1" or environ.get("CI") == "true"


def real_redis_required(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get(REQUIRE_REDIS) == "1" or every_part_required(environ)


def missing(reason: str) -> NoReturn:
    """Skip the test for ``reason``, or fail it when every part of the suite must run."""
    import pytest  # not at import time: worker processes import tests.settings too

    if every_part_required():
        pytest.fail(
            f"{reason} ({REQUIRE_ALL}=1 or CI=true: every part of the suite must run)",
            pytrace=False,
        )
    pytest.skip(reason)


def redis_server_binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        missing("no redis-server binary on this machine: apt-get install -y redis-server")
    return binary
