"""``python -m bench.flood``: the figures of the flood of issue 10 (docs/guarantees.rst).

The same flood as ``tests/abuse/test_flood.py`` (5,000 anonymous GETs from one address,
four threads, URLs just under the length limit, through the tests' site), which checks
the promise; this prints what it measured, with the server's ``used_memory`` growth,
which depends on everything else the server does (client buffers, the Lua script cache,
the allocator, other databases) and so is only a figure, and writes them to
``artifacts/abuse-figures.json``. Uses Redis at ``$REDIS_URL`` (default
redis://127.0.0.1:6379/15, the benchmark's database), which it empties, refusing one
holding keys it did not write.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from bench.run import MARKER, standalone

    conn = standalone("tests.settings")  # the flood's pages are the tests'
    from tests.abuse import test_flood
    from tests.abuse.helpers import used_memory

    memory_before = used_memory(conn)
    try:
        figures = test_flood.flood(conn)
        figures["used_memory growth (whole server)"] = used_memory(conn) - memory_before
        figures["bound (bytes)"] = test_flood.BOUND_BYTES
    finally:
        conn.flushdb()
        conn.set(MARKER, 1)
    print(f"flood of issue 10 at {os.environ['REDIS_URL']}, Redis {conn.info()['redis_version']}")
    for label, value in figures.items():
        print(f"  {label}: {value}")
    out = ROOT / "artifacts" / "abuse-figures.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"flood": figures}, indent=2) + "\n")
    print(f"written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
