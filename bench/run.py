"""``python -m bench``: every figure in one run, printed as a table and saved as JSON."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MARKER = "rq_poll_bench:owned"
DEFAULT_URL = "redis://127.0.0.1:6379/15"


def _claim_database(url: str) -> Any:
    """Empty the database, but only one that is empty or that an earlier run used."""
    from tests.redis_server import DatabaseInUse, claim_database

    try:
        return claim_database(url, marker=MARKER, who="bench", suggest=DEFAULT_URL)
    except DatabaseInUse as exc:
        raise SystemExit(str(exc)) from None


def standalone(settings_module: str = "bench.settings") -> Any:
    """Set up a one-off figure script (``python -m bench.<name>``): Django configured, and
    its Redis database (``$REDIS_URL``, default db 15) claimed and emptied."""
    os.environ.setdefault("REDIS_URL", DEFAULT_URL)
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    conn = _claim_database(os.environ["REDIS_URL"])
    import django

    django.setup()
    return conn


def _machine(conn: Any) -> dict[str, Any]:
    info = conn.info("server")
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "redis": info.get("redis_version"),
        "hiredis": _has("hiredis"),
    }


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--rounds", type=int, default=25, help="rounds per figure (median taken)")
    parser.add_argument("--iterations", type=int, default=150, help="calls per op per round")
    parser.add_argument("--quick", action="store_true", help="few rounds, up to 1,000 URLs")
    parser.add_argument("--no-web", action="store_true", help="skip the view/HTTP figures")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--requests", type=int, default=2000, help="HTTP requests per page")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--json", default=str(ROOT / "artifacts" / "bench.json"))
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("REDIS_URL", DEFAULT_URL)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    redis_url = os.environ["REDIS_URL"]
    conn = _claim_database(redis_url)

    import django

    django.setup()
    from bench import core
    from bench.timing import table

    rounds, iterations, sizes = args.rounds, args.iterations, core.SIZES
    if args.quick:
        rounds, iterations, sizes = 5, 100, (10, 1_000)
    started = time.monotonic()
    report: dict[str, Any] = {"redis_url": redis_url, "machine": _machine(conn)}
    try:
        figures, report["core"] = core.run(
            redis_url, rounds=rounds, iterations=iterations, sizes=sizes
        )
        if args.no_web:
            report["web"] = {"skipped": "view/HTTP figures skipped (--no-web)"}
        else:
            from bench import web

            web_figures, report["web"] = web.run(
                redis_url, rounds=rounds, clients=args.clients, requests=args.requests
            )
            figures += web_figures
    finally:
        conn.flushdb()
    report["figures"] = [f.as_dict() for f in figures]
    report["seconds"] = round(time.monotonic() - started, 1)

    m = report["machine"]
    print()
    print(
        f"django-rq-poll benchmark: Python {m['python']}, Redis {m['redis']}, {m['cpus']} CPUs, "
        f"hiredis {'yes' if m['hiredis'] else 'no'}; medians of {rounds} interleaved rounds "
        "(ratios: median of the per-round ratios)"
    )
    print(table(figures))
    if isinstance(report.get("web"), dict) and report["web"].get("skipped"):
        print(report["web"]["skipped"])
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nwritten to {out} in {report['seconds']} s")
    missed = [f.name for f in figures if f.meets is False]
    if missed:
        print(f"targets missed: {len(missed)} (timings on a busy machine vary; run again)")
    return 1 if missed and args.strict else 0
